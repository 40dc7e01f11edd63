//! Shamir's secret sharing of 32-byte secrets, byte by byte over GF(2⁸) (AES's field): any
//! `threshold` shares give the secret back, fewer say nothing about it.

use serde::{Deserialize, Serialize};

use crate::rng::Stream;

/// One share: the polynomial's x (never 0) and its 32 values there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub x: u8,
    pub y: [u8; 32],
}

fn mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0_u8;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        let carry = a & 0x80 != 0;
        a <<= 1;
        if carry {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    product
}

fn inverse(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8) (a ≠ 0).
    let mut result = 1_u8;
    let mut base = a;
    let mut exponent = 254_u32;
    while exponent > 0 {
        if exponent & 1 == 1 {
            result = mul(result, base);
        }
        base = mul(base, base);
        exponent >>= 1;
    }
    result
}

/// Shares of `secret` at each of `xs` (distinct, non-zero), any `threshold` of which rebuild it.
pub fn split(secret: &[u8; 32], threshold: usize, xs: &[u8], stream: &mut Stream) -> Vec<Share> {
    let degree = threshold.max(1) - 1;
    let coefficients: Vec<[u8; 32]> = (0..degree).map(|_| stream.bytes32()).collect();
    xs.iter()
        .map(|&x| {
            let mut y = [0_u8; 32];
            for (byte, out) in y.iter_mut().enumerate() {
                // Horner: ((c_d x + c_{d-1}) x + …) x + secret.
                let mut value = 0_u8;
                for coefficient in coefficients.iter().rev() {
                    value = mul(value, x) ^ coefficient[byte];
                }
                *out = mul(value, x) ^ secret[byte];
            }
            Share { x, y }
        })
        .collect()
}

/// The secret the shares agree on (Lagrange at 0). With fewer shares than the threshold the
/// answer is some other number: callers count first.
pub fn combine(shares: &[Share]) -> [u8; 32] {
    let mut secret = [0_u8; 32];
    for (i, share) in shares.iter().enumerate() {
        // The Lagrange basis at 0: Π x_j / (x_j − x_i) (subtraction is xor).
        let mut basis = 1_u8;
        for (j, other) in shares.iter().enumerate() {
            if i != j {
                basis = mul(basis, mul(other.x, inverse(other.x ^ share.x)));
            }
        }
        for (out, &y) in secret.iter_mut().zip(&share.y) {
            *out ^= mul(basis, y);
        }
    }
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_inverse_is_an_inverse() {
        for a in 1..=255_u8 {
            assert_eq!(mul(a, inverse(a)), 1, "{a}");
        }
        // AES's own example: 0x57 · 0x83 = 0xc1.
        assert_eq!(mul(0x57, 0x83), 0xc1);
    }

    #[test]
    fn any_threshold_shares_rebuild_the_secret_and_fewer_do_not() {
        let mut stream = Stream::new(&[3; 32]);
        let secret = stream.bytes32();
        let xs: Vec<u8> = (1..=7).collect();
        let shares = split(&secret, 4, &xs, &mut stream);
        assert_eq!(combine(&shares[..4]), secret);
        assert_eq!(combine(&shares[3..]), secret);
        assert_eq!(
            combine(&[shares[6], shares[1], shares[4], shares[2]]),
            secret
        );
        assert_eq!(combine(&shares), secret);
        assert_ne!(combine(&shares[..3]), secret);
    }
}
