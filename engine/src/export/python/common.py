"""What predict.py and train.py share: the export's description (agora.json), reading the
exported data, and turning images or rows into the tensors AgoraNet reads.

Written by Agora. Needs PyTorch, safetensors and (for images) Pillow:
    pip install torch safetensors pillow
"""
import csv
import io
import json
import math
import os
import zipfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def config():
    """The export's description: network, recipe, input, classes, data."""
    with open(os.path.join(HERE, "agora.json"), encoding="utf-8") as f:
        return json.load(f)


FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1sq": lambda x1, x2: x1 * x1,
    "x2sq": lambda x1, x2: x2 * x2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sinx1": lambda x1, x2: math.sin(x1),
    "sinx2": lambda x1, x2: math.sin(x2),
}


def image_tensor(image, cfg):
    """A PIL image as the network's input [C, H, W] in [0, 1] (resized to the network's size)."""
    from PIL import Image

    inp = cfg["input"]
    mode = "RGB" if inp["channels"] == 3 else "L"
    image = image.convert(mode)
    if image.size != (inp["width"], inp["height"]):
        image = image.resize((inp["width"], inp["height"]), Image.BILINEAR)
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    data = data.reshape(inp["height"], inp["width"], inp["channels"]).permute(2, 0, 1)
    return data.float() / 255.0


def row_tensor(row, cfg):
    """A CSV row (a dict) as the network's input: its columns, or a point's features from x1, x2."""
    columns = cfg["input"]["columns"]
    if all(name in row for name in columns):
        return torch.tensor([float(row[name]) for name in columns])
    if cfg["input"]["kind"] == "points" and "x1" in row and "x2" in row:
        x1, x2 = float(row["x1"]), float(row["x2"])
        return torch.tensor([FEATURES[name](x1, x2) for name in columns])
    missing = [name for name in columns if name not in row]
    raise SystemExit(f"the CSV has no column {', '.join(missing)}; it needs {', '.join(columns)}")


class Source:
    """The exported data: a folder (the export unzipped) or the export's zip itself."""

    def __init__(self, path):
        self.path = path
        self.zip = zipfile.ZipFile(path) if zipfile.is_zipfile(path) else None

    def names(self, folder):
        folder = folder.rstrip("/") + "/"
        if self.zip:
            return sorted(n[len(folder):] for n in self.zip.namelist()
                          if n.startswith(folder) and not n.endswith("/"))
        root = os.path.join(self.path, folder)
        out = []
        for base, _, files in os.walk(root):
            for name in files:
                out.append(os.path.relpath(os.path.join(base, name), root).replace(os.sep, "/"))
        return sorted(out)

    def read(self, name):
        if self.zip:
            return self.zip.read(name)
        with open(os.path.join(self.path, name), "rb") as f:
            return f.read()


def load_split(source, cfg, split):
    """(inputs, targets) of one split ("train" or "val") of the exported data."""
    data = cfg["data"]
    classes = cfg["classes"]
    if data["format"] == "imagefolder":
        from PIL import Image

        inputs, labels = [], []
        for name in source.names(f"{data['root']}/{split}"):
            class_dir = name.split("/")[0]
            if class_dir not in data["folders"]:
                continue
            image = Image.open(io.BytesIO(source.read(f"{data['root']}/{split}/{name}")))
            inputs.append(image_tensor(image, cfg))
            labels.append(data["folders"].index(class_dir))
        if not inputs:
            return torch.zeros((0, *cfg["input"]["shape"])), torch.zeros(0, dtype=torch.long)
        return torch.stack(inputs), torch.tensor(labels, dtype=torch.long)
    text = source.read(f"{data['root']}/{split}.csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    inputs = torch.stack([row_tensor(row, cfg) for row in rows]) if rows else torch.zeros((0, len(cfg["input"]["columns"])))
    if cfg["task"] == "classification":
        targets = torch.tensor([classes.index(row["label"]) for row in rows], dtype=torch.long)
    else:
        targets = torch.tensor([[float(row["label"])] for row in rows])
    return inputs, targets
