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
    """A PIL image as the network's input [C, H, W] in [0, 1], prepared as Agora prepares a
    photo: the centre square, shrunk to 64x64, then averaged down (or up) to the network's size,
    grey as 0.299 R + 0.587 G + 0.114 B."""
    from PIL import Image

    inp = cfg["input"]
    image = image.convert("RGB")
    if image.size != (inp["width"], inp["height"]):
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side))
        if side != 64:
            image = image.resize((64, 64), Image.BILINEAR, reducing_gap=3.0)
        image = image.resize((inp["width"], inp["height"]), Image.BOX)
    if inp["channels"] == 1:
        image = image.convert("L")
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    data = data.reshape(inp["height"], inp["width"], inp["channels"]).permute(2, 0, 1)
    return data.float() / 255.0


def row_tensor(row, cfg):
    """A CSV row (a dict) as the table's own numbers: its columns, or a point's features from
    x1 and x2. standardise() turns a table's numbers into what AgoraNet reads."""
    columns = cfg["input"]["columns"]
    if all(name in row for name in columns):
        return torch.tensor([float(row[name]) for name in columns])
    if cfg["input"]["kind"] == "points" and "x1" in row and "x2" in row:
        x1, x2 = float(row["x1"]), float(row["x2"])
        return torch.tensor([FEATURES[name](x1, x2) for name in columns])
    missing = [name for name in columns if name not in row]
    raise SystemExit(f"the CSV has no column {', '.join(missing)}; it needs {', '.join(columns)}")


def standardise(x, cfg):
    """A table's numbers as AgoraNet reads them: (x - mean) / deviation per column, with the
    training rows' means and deviations Agora used. Images and points pass as they are."""
    inp = cfg["input"]
    if x.dim() != 2 or "means" not in inp:
        return x
    return (x - torch.tensor(inp["means"])) / torch.tensor(inp["deviations"])


def label_scale(cfg):
    """A number label's (mean, deviation), when Agora standardised it; else None."""
    scale = cfg["input"].get("label_scale")
    return tuple(scale) if scale else None


def unscale(values, cfg):
    """AgoraNet's standardised prediction of a number back in the label's units."""
    scale = label_scale(cfg)
    if cfg["task"] != "regression" or scale is None:
        return values
    return values * scale[1] + scale[0]


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
    label = data.get("label_column", "label")
    inputs = torch.stack([row_tensor(row, cfg) for row in rows]) if rows else torch.zeros((0, len(cfg["input"]["columns"])))
    if cfg["task"] == "classification":
        targets = torch.tensor([classes.index(row[label]) for row in rows], dtype=torch.long)
    else:
        targets = torch.tensor([[float(row[label])] for row in rows])
        scale = label_scale(cfg)
        if scale is not None:
            targets = (targets - scale[0]) / scale[1]
    return standardise(inputs, cfg), targets
