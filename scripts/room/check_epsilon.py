"""Holds the room's privacy accountant (federated/src/privacy.rs) to Opacus's RDP accountant.

    cargo run -p agora-federated --release --example epsilon | $AGORA_PY scripts/room/check_epsilon.py

Each line is `noise rounds epsilon` from Agora; Opacus computes ε for the Gaussian mechanism with
that noise multiplier, sampling rate 1 (every student takes part in every round), that many
steps, δ = 1e-5, at its default orders. Fails unless every ε agrees to 1e-6 relative.
"""
import sys

from opacus.accountants import RDPAccountant

DELTA = 1e-5


def main() -> int:
    lines = [line.split() for line in sys.stdin if line.strip()]
    if not lines:
        print("check_epsilon: no figures on stdin", file=sys.stderr)
        return 1
    worst = 0.0
    for noise, rounds, ours in lines:
        accountant = RDPAccountant()
        for _ in range(int(rounds)):
            accountant.step(noise_multiplier=float(noise), sample_rate=1.0)
        theirs = accountant.get_epsilon(delta=DELTA)
        relative = abs(float(ours) - theirs) / max(theirs, 1e-12)
        worst = max(worst, relative)
        print(f"sigma {noise:>4} rounds {rounds:>4}: agora {float(ours):12.6f}  opacus {theirs:12.6f}  rel {relative:.1e}")
        if relative > 1e-6:
            print("check_epsilon: FAIL", file=sys.stderr)
            return 1
    print(f"check_epsilon: {len(lines)} figures agree with Opacus (worst relative difference {worst:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
