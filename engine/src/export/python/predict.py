"""Classifies image files or the rows of a CSV with the exported network.

    python predict.py photo.jpg other.png        # PyTorch, model.safetensors
    python predict.py rows.csv                   # one prediction per row
    python predict.py --onnx photo.jpg           # onnxruntime, model.onnx (--onnx-model PATH)
    python predict.py --check                    # PyTorch and ONNX against Agora's own outputs

Images are turned into the network's input as Agora does: resized to its size, pixels / 255.
Written by Agora; needs torch and safetensors (pillow for images, onnxruntime for --onnx).
"""
import argparse
import csv
import os
import sys

import torch

from common import HERE, config, image_tensor, row_tensor, standardise, unscale


def inputs_of(paths, cfg):
    names, rows = [], []
    for path in paths:
        if path.lower().endswith(".csv"):
            with open(path, newline="", encoding="utf-8") as f:
                for number, row in enumerate(csv.DictReader(f), start=1):
                    names.append(f"{os.path.basename(path)} row {number}")
                    rows.append(row_tensor(row, cfg))
        else:
            from PIL import Image

            with Image.open(path) as image:
                rows.append(image_tensor(image, cfg))
            names.append(path)
    return names, (torch.stack(rows) if rows else None)


def torch_scores(x, weights, cfg):
    """AgoraNet's scores for inputs as the ONNX model takes them (a table's own numbers)."""
    from model import load

    with torch.no_grad():
        return unscale(load(weights)(standardise(x, cfg)), cfg).numpy()


def onnx_scores(x, path):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    output = "logits" if any(o.name == "logits" for o in session.get_outputs()) else "value"
    return session.run([output], {"input": x.numpy()})[0]


def check(cfg, weights, onnx_path):
    """PyTorch's and onnxruntime's outputs for check.safetensors' inputs against Agora's."""
    from safetensors.torch import load_file

    path = os.path.join(HERE, "check.safetensors")
    if not os.path.exists(path):
        sys.exit("this export holds no check samples (its data had no validation samples)")
    reference = load_file(path)
    x, expected = reference["input"], reference["scores"].numpy()
    worst = 0.0
    for name, scores in [("PyTorch", torch_scores(x, weights, cfg)), ("onnxruntime", onnx_scores(x, onnx_path))]:
        scale = max(float(abs(expected).max()), 1e-6)
        error = float(abs(scores - expected).max()) / scale
        worst = max(worst, error)
        print(f"{name}: {len(x)} samples, largest difference from Agora {error:.2e} of the largest score")
    if worst > 1e-4:
        sys.exit("the outputs differ from Agora's by more than 1e-4")
    print("same outputs as Agora (within 1e-4)")


def main():
    cfg = config()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="images, or CSV files of rows")
    parser.add_argument("--weights", default=os.path.join(HERE, "model.safetensors"))
    parser.add_argument("--onnx", action="store_true", help="use onnxruntime and the ONNX model")
    parser.add_argument("--onnx-model", default=os.path.join(HERE, "model.onnx"))
    parser.add_argument("--check", action="store_true", help="compare with Agora's own outputs")
    args = parser.parse_args()
    if args.check:
        return check(cfg, args.weights, args.onnx_model)
    if not args.files:
        parser.error("name image files or CSV files to classify")
    names, x = inputs_of(args.files, cfg)
    if x is None:
        sys.exit("nothing to classify")
    scores = onnx_scores(x, args.onnx_model) if args.onnx else torch_scores(x, args.weights, cfg)
    if cfg["task"] == "regression":
        for name, value in zip(names, scores[:, 0]):
            print(f"{name}: {value:.6g}")
        return
    probabilities = torch.softmax(torch.from_numpy(scores), dim=1)
    for name, p in zip(names, probabilities):
        top = int(p.argmax())
        rest = ", ".join(f"{cfg['classes'][i]} {float(p[i]):.3f}" for i in p.argsort(descending=True)[1:3])
        print(f"{name}: {cfg['classes'][top]} ({float(p[top]):.3f}; then {rest})")


if __name__ == "__main__":
    main()
