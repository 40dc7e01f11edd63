#!/usr/bin/env python3
"""Holds Agora's exports to tools no one here wrote.

For each export (a zip from the page, `agora export` or `export_cases`):
  - `onnx.checker` accepts model.onnx (full check, with shape inference);
  - the ONNX metadata name the classes, the input and the network;
  - onnxruntime's `logits` (or `value`) for the inputs of check.safetensors are Agora's scores
    within 1e-4 of the largest score, and its `probabilities` are their softmax;
  - PyTorch loads model.safetensors into model.py's AgoraNet (strict: every name and shape) and
    reproduces the same scores (`predict.py --check`, run as a person would);
  - the ONNX initializers and the safetensors tensors are the same numbers.
With --torchrun NAME, the export whose file name starts with NAME also trains two epochs under
`torchrun --nproc-per-node 2` on the CPU (gloo), and its validation accuracy must rise.

    python scripts/check_export.py [--torchrun lenet] EXPORT.zip ...

Needs: pip install torch onnx onnxruntime safetensors pillow numpy
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnx
import onnxruntime
from onnx import numpy_helper
from safetensors.numpy import load_file

TOLERANCE = 1e-4


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def relative(a, b):
    return float(np.abs(a - b).max()) / max(float(np.abs(b).max()), 1e-6)


def same_answers(first, second):
    """predict.py's lines from two engines say the same: the same class with probabilities
    within 2e-3, or numbers within 1e-4 of the larger."""
    if len(first) != len(second):
        return False
    numbers = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")
    for a, b in zip(first, second):
        (name_a, rest_a), (name_b, rest_b) = a.rsplit(": ", 1), b.rsplit(": ", 1)
        words_a, words_b = numbers.sub("#", rest_a), numbers.sub("#", rest_b)
        if name_a != name_b or words_a != words_b:
            return False
        for x, y in zip(numbers.findall(rest_a), numbers.findall(rest_b)):
            if abs(float(x) - float(y)) > max(2e-3, 1e-4 * abs(float(y))):
                return False
    return True


def check_one(folder, name):
    model_path = os.path.join(folder, "model.onnx")
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    if opset < 17:
        fail(f"{name}: opset {opset}, not 17 or later")
    meta = {p.key: p.value for p in model.metadata_props}
    for key in ("agora.classes", "agora.input", "agora.network", "agora.task"):
        if key not in meta:
            fail(f"{name}: the ONNX metadata lack {key}")
    cfg = json.load(open(os.path.join(folder, "agora.json"), encoding="utf-8"))
    if json.loads(meta["agora.classes"]) != cfg["classes"]:
        fail(f"{name}: the ONNX class names differ from agora.json's")

    reference = load_file(os.path.join(folder, "check.safetensors"))
    x, expected = reference["input"], reference["scores"]
    if len(x) == 0:
        fail(f"{name}: check.safetensors holds no samples")
    session = onnxruntime.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    if cfg["task"] == "classification":
        if outputs != ["logits", "probabilities"]:
            fail(f"{name}: outputs {outputs}")
        logits, probabilities = session.run(outputs, {"input": x})
        error = relative(logits, expected)
        softmax = np.exp(expected - expected.max(1, keepdims=True))
        softmax /= softmax.sum(1, keepdims=True)
        if float(np.abs(probabilities - softmax).max()) > TOLERANCE:
            fail(f"{name}: ONNX probabilities are not the softmax of Agora's scores")
    else:
        if outputs != ["value"]:
            fail(f"{name}: outputs {outputs}")
        (value,) = session.run(outputs, {"input": x})
        error = relative(value, expected)
    if error > TOLERANCE:
        fail(f"{name}: onnxruntime differs from Agora by {error:.2e}")

    tensors = load_file(os.path.join(folder, "model.safetensors"))
    for init in model.graph.initializer:
        if init.name.startswith(("gelu.", "table.", "label.")):
            continue
        if init.name not in tensors:
            fail(f"{name}: ONNX initializer {init.name} is not in model.safetensors")
        if not np.array_equal(numpy_helper.to_array(init), tensors[init.name]):
            fail(f"{name}: {init.name} differs between model.onnx and model.safetensors")

    run = subprocess.run([sys.executable, "predict.py", "--check"], cwd=folder,
                         capture_output=True, text=True)
    print(run.stdout.strip())
    if run.returncode != 0:
        fail(f"{name}: predict.py --check failed:\n{run.stderr}")
    # A person's use: predict.py on a data file, with PyTorch and with --onnx, says the same.
    sample = None
    if cfg.get("data") and cfg["data"]["format"] == "csv":
        sample = os.path.join("data", "val.csv")
    elif cfg.get("data"):
        files = sorted(os.listdir(os.path.join(folder, "data", "val", cfg["data"]["folders"][0])))
        sample = os.path.join("data", "val", cfg["data"]["folders"][0], files[0]) if files else None
    if sample:
        said = {}
        for engine, extra in (("PyTorch", []), ("onnxruntime", ["--onnx"])):
            run = subprocess.run([sys.executable, "predict.py", *extra, sample], cwd=folder,
                                 capture_output=True, text=True)
            if run.returncode != 0:
                fail(f"{name}: predict.py {' '.join(extra)} {sample} failed:\n{run.stderr}")
            said[engine] = run.stdout.strip().splitlines()
        if not same_answers(said["PyTorch"], said["onnxruntime"]) or not said["PyTorch"]:
            fail(f"{name}: predict.py answers differ: {said['PyTorch'][:3]} vs {said['onnxruntime'][:3]}")
        print(f"predict.py {sample}: {said['PyTorch'][0]} (PyTorch and --onnx agree)")
    print(f"ok {name}: opset {opset}, {len(x)} samples, onnxruntime {error:.2e} of the largest score")


def check_torchrun(folder, name):
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    command = [torchrun if os.path.exists(torchrun) else "torchrun", "--nproc-per-node", "2",
               "train.py", "--epochs", "2"]
    run = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                         env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    print(run.stdout.strip())
    if run.returncode != 0:
        fail(f"{name}: torchrun failed:\n{run.stderr[-3000:]}")
    if "2 process(es)" not in run.stdout:
        fail(f"{name}: train.py did not run as two processes")
    accuracies = [float(v) for v in re.findall(r"val accuracy ([0-9.]+)", run.stdout)]
    if len(accuracies) != 3:
        fail(f"{name}: expected epochs 0, 1 and 2, got {accuracies}")
    if not accuracies[2] > accuracies[0] + 0.2:
        fail(f"{name}: validation accuracy did not rise: {accuracies}")
    trained = load_file(os.path.join(folder, "trained.safetensors"))
    exported = load_file(os.path.join(folder, "model.safetensors"))
    if sorted(trained) != sorted(exported):
        fail(f"{name}: trained.safetensors names differ from model.safetensors'")
    print(f"ok {name}: torchrun --nproc-per-node 2, val accuracy {accuracies[0]:.3f} → {accuracies[2]:.3f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("exports", nargs="+")
    parser.add_argument("--torchrun", action="append", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.exports:
            name = os.path.basename(path)
            folder = os.path.join(tmp, name)
            with zipfile.ZipFile(path) as z:
                z.extractall(folder)
            check_one(folder, name)
            if any(name.startswith(prefix) for prefix in args.torchrun):
                check_torchrun(folder, name)
    print(f"all {len(args.exports)} exports match Agora")


if __name__ == "__main__":
    main()
