#!/usr/bin/env python3
"""Crops of real photos for the pretrained network's browser test and benchmark: scikit-image's
cat (chelsea.png) and coffee cup (coffee.png), read from its PyPI wheel (no install), cut into
seeded square crops (a half to four fifths of the photo's short side, anywhere in it, mirrored
at random) and written as PNG files: OUT/<photo>/train-NN.png and OUT/<photo>/held-NN.png.

usage: crops.py SKIMAGE_WHEEL OUT_DIR [TRAIN_PER_PHOTO] [HELD_PER_PHOTO] [PHOTO...]
"""
import io
import os
import random
import sys
import zipfile

from PIL import Image

DEFAULT = ["chelsea.png", "coffee.png"]


def crops(img, count, rng):
    w, h = img.size
    side = min(w, h)
    for _ in range(count):
        s = int(side * rng.uniform(0.5, 0.8))
        x, y = rng.randint(0, w - s), rng.randint(0, h - s)
        c = img.crop((x, y, x + s, y + s)).resize((160, 160), Image.BILINEAR)
        yield c.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else c


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    wheel, out = sys.argv[1], sys.argv[2]
    train = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    held = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    photos = sys.argv[5:] or DEFAULT
    with zipfile.ZipFile(wheel) as z:
        for index, name in enumerate(photos):
            img = Image.open(io.BytesIO(z.read("skimage/data/" + name))).convert("RGB")
            folder = os.path.join(out, name.split(".")[0])
            os.makedirs(folder, exist_ok=True)
            rng = random.Random(1000 + index)
            for i, c in enumerate(crops(img, train + held, rng)):
                kind = "train" if i < train else "held"
                n = i if i < train else i - train
                c.save(os.path.join(folder, f"{kind}-{n:02d}.png"))
    print(f"crops: {len(photos)} photos, {train} + {held} crops each, in {out}")


if __name__ == "__main__":
    main()
