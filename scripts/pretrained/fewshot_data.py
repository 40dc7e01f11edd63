#!/usr/bin/env python3
"""Data for the few-shot benchmark (engine/examples/fewshot.rs), from datasets no one here made,
read out of their PyPI wheels (no install):

- digits: scikit-learn's 8×8 handwritten digits (sklearn/datasets/data/digits.csv.gz), upscaled
  to 160×160 and coloured: ink and paper each a seeded random colour, so colour says nothing
  about the class. 50 per class (30 to draw the training shots from, 20 to test).
- photos: eight of scikit-image's photos (the cat, the coffee, the rocket, the astronaut, the
  motorcycle, the camera man, the coins, the hubble deep field) as eight classes, each sample a
  seeded crop of a half to four fifths of its short side, mirrored at random; the test crops
  come from the photo's other half (left half trains, right half tests), so no test crop
  overlaps a training one. 50 per class.

Writes OUT (safetensors): <set>.train_pixels U8 [n, 160, 160, 3], <set>.train_labels U8 [n],
and the same for test.

usage: fewshot_data.py SKIMAGE_WHEEL SKLEARN_WHEEL OUT.safetensors
"""
import gzip
import io
import random
import sys
import zipfile

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

SIDE = 160
PHOTOS = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png", "motorcycle_left.png",
          "camera.png", "coins.png", "hubble_deep_field.jpg"]


def digits(wheel):
    with zipfile.ZipFile(wheel) as z:
        rows = np.loadtxt(io.StringIO(gzip.decompress(z.read("sklearn/datasets/data/digits.csv.gz")).decode()), delimiter=",")
    images, labels = rows[:, :64].reshape(-1, 8, 8) / 16.0, rows[:, 64].astype(np.uint8)
    rng = np.random.default_rng(7)
    out = {"train": ([], []), "test": ([], [])}
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        rng.shuffle(members)
        for k, index in enumerate(members[:50]):
            ink, paper = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
            big = np.asarray(Image.fromarray((images[index] * 255).astype(np.uint8)).resize((SIDE, SIDE), Image.BILINEAR)) / 255.0
            rgb = (big[..., None] * ink + (1 - big[..., None]) * paper).astype(np.uint8)
            part = "train" if k < 30 else "test"
            out[part][0].append(rgb)
            out[part][1].append(digit)
    return out


def photos(wheel):
    out = {"train": ([], []), "test": ([], [])}
    with zipfile.ZipFile(wheel) as z:
        for label, name in enumerate(PHOTOS):
            img = Image.open(io.BytesIO(z.read("skimage/data/" + name))).convert("RGB")
            w, h = img.size
            rng = random.Random(label)
            for part, (x0, x1), count in [("train", (0, w // 2), 30), ("test", (w // 2, w), 20)]:
                region = img.crop((x0, 0, x1, h))
                rw, rh = region.size
                short = min(rw, rh)
                for _ in range(count):
                    s = int(short * rng.uniform(0.5, 0.8))
                    x, y = rng.randint(0, rw - s), rng.randint(0, rh - s)
                    c = region.crop((x, y, x + s, y + s)).resize((SIDE, SIDE), Image.BILINEAR)
                    if rng.random() < 0.5:
                        c = c.transpose(Image.FLIP_LEFT_RIGHT)
                    out[part][0].append(np.asarray(c, dtype=np.uint8))
                    out[part][1].append(label)
    return out


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    tensors = {}
    for name, data in [("digits", digits(sys.argv[2])), ("photos", photos(sys.argv[1]))]:
        for part, (pixels, labels) in data.items():
            tensors[f"{name}.{part}_pixels"] = np.stack(pixels)
            tensors[f"{name}.{part}_labels"] = np.array(labels, dtype=np.uint8)
    save_file(tensors, sys.argv[3])
    print(f"fewshot_data: {', '.join(f'{k} {v.shape}' for k, v in tensors.items() if k.endswith('pixels'))}")


if __name__ == "__main__":
    main()
