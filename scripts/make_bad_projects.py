#!/usr/bin/env python3
"""Writes project files made by tools no one here wrote — Python's zipfile (deflated entries)
and Hugging Face's safetensors — one good and a corpus of bad ones, each bad in one way a
person (or an attacker) could hand Agora's "Open project…".

    pip install safetensors numpy && python3 scripts/make_bad_projects.py
    python3 scripts/make_bad_projects.py --check saved.agora   # a file Agora saved

With --check it reads a project file Agora wrote the other way round: Python's zipfile tests
every entry's CRC, safetensors loads the weights, and their names and shapes are printed.

Input: app/tests/fixtures/projects/project.json (TensorFlow Playground's opening project as
Agora writes it: two features, tanh layers of 4 and 2, two classes).
Output: app/tests/fixtures/projects/*.agora, committed; rerunning gives the same bytes.
app/tests/project_files.rs opens each and pins the message it must get.
"""
import io
import json
import pathlib
import struct
import sys
import zipfile

import numpy as np
from safetensors.numpy import load, save

OUT = pathlib.Path(__file__).resolve().parent.parent / "app" / "tests" / "fixtures" / "projects"
PROJECT = (OUT / "project.json").read_bytes()
# 1980-01-01, so the bytes do not depend on the clock.
WHEN = (1980, 1, 1, 0, 0, 0)

# The network of project.json, in PyTorch's state_dict layout: Linear weights [out, in].
SHAPES = {
    "layers.0.weight": (4, 2), "layers.0.bias": (4,),
    "layers.2.weight": (2, 4), "layers.2.bias": (2,),
    "layers.4.weight": (2, 2), "layers.4.bias": (2,),
}


def weights(shapes=SHAPES, dtype=np.float32, poison=None):
    """Every value is its position / 1000 within its tensor, so a test can check any one."""
    tensors = {}
    for name, shape in shapes.items():
        values = (np.arange(int(np.prod(shape)), dtype=np.float64) / 1000.0).reshape(shape)
        tensors[name] = values.astype(dtype)
    if poison:
        tensors[poison][0] = np.nan
    # One metadata key: safetensors writes its metadata map in no fixed order.
    return save(tensors, metadata={"epoch": "7"})


def manifest(version=1, fmt="agora-project", epoch=7):
    return json.dumps({"format": fmt, "version": version, "saved_by": "make_bad_projects.py",
                       "epoch": epoch}).encode()


def archive(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(zipfile.ZipInfo(name, WHEN), data, compress_type=compression)
    return buffer.getvalue()


def good(**changes):
    entries = {"manifest.json": manifest(), "project.json": PROJECT, "weights.safetensors": weights()}
    entries.update(changes)
    return [(name, data) for name, data in entries.items() if data is not None]


def patch_central(data, field_offset, value):
    """Overwrites a 4-byte field of the first central-directory entry."""
    at = data.index(b"PK\x01\x02")
    return data[:at + field_offset] + struct.pack("<I", value) + data[at + field_offset + 4:]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    files = {}
    files["good.agora"] = archive(good())
    whole = files["good.agora"]
    files["bad-not-a-zip.agora"] = b"\x89PNG\r\n\x1a\n" + bytes(200)
    files["bad-empty.agora"] = b""
    files["bad-cut-off.agora"] = whole[: len(whole) // 2]
    files["bad-newer-version.agora"] = archive(good(**{"manifest.json": manifest(version=99)}))
    files["bad-other-format.agora"] = archive(good(**{"manifest.json": manifest(fmt="teachable-machine")}))
    files["bad-no-manifest.agora"] = archive(good(**{"manifest.json": None}))
    files["bad-not-json.agora"] = archive(good(**{"project.json": b"{\"data\": [not json"}))
    wrong = dict(SHAPES, **{"layers.0.weight": (3, 2)})
    files["bad-wrong-shapes.agora"] = archive(good(**{"weights.safetensors": weights(wrong)}))
    files["bad-nan-weights.agora"] = archive(good(**{"weights.safetensors": weights(poison="layers.2.bias")}))
    files["bad-float16-weights.agora"] = archive(good(**{"weights.safetensors": weights(dtype=np.float16)}))
    files["bad-no-weights.agora"] = archive(good(**{"weights.safetensors": None}))
    files["bad-dot-dot.agora"] = archive(good(**{"../../evil.txt": b"escape"}))
    files["bad-absolute-path.agora"] = archive(good(**{"/etc/cron.d/evil": b"escape"}))
    files["bad-thousands-of-entries.agora"] = archive(
        good() + [(f"junk/{i}.txt", b"") for i in range(5000)], zipfile.ZIP_STORED)
    # The manifest (the first entry) declares 4,000,000,000 bytes unpacked: a zip bomb's trick.
    files["bad-declared-size.agora"] = patch_central(whole, 24, 4_000_000_000)
    # One flipped byte inside the stored project.json: its CRC-32 no longer matches.
    stored = archive(good(), zipfile.ZIP_STORED)
    at = stored.index(b'"network"')
    files["bad-checksum.agora"] = stored[:at] + b"'" + stored[at + 1:]
    # A recorded run whose weights do not fit its own network (a third layer of 3 rows, not 2).
    run = json.loads(PROJECT)
    record = {"id": 1, "parent": None, "label": "best", "started_ms": 0.0, "seconds": 1.0,
              "project": run, "data": {"name": "circle", "provenance": "generated", "classes": [],
                                       "train": 250, "validation": 250},
              "backend": "CPU", "browser": "Python", "rows": []}
    book = json.dumps({"runs": [record], "current": None, "next_id": 2}).encode()
    files["good-with-runs.agora"] = archive(good(**{"runs.json": book, "runs/1.safetensors": weights()}))
    bad_run = dict(SHAPES, **{"layers.4.weight": (3, 2)})
    files["bad-run-weights.agora"] = archive(good(**{"runs.json": book, "runs/1.safetensors": weights(bad_run)}))
    files["bad-runs-json.agora"] = archive(good(**{"runs.json": b"[{\"id\": \"one\"}]"}))
    # Images whose labels name a class the file does not have.
    pixels = (np.arange(2 * 64 * 64 * 3) % 251).astype(np.uint8).reshape(2, 64, 64, 3)
    classes = json.dumps([{"name": "discs", "color": "#f00"}, {"name": "squares", "color": "#00f"}])
    images = lambda labels: save({"pixels": pixels, "labels": np.array(labels, dtype=np.int64)},
                                 metadata={"classes": classes})
    files["good-with-images.agora"] = archive(good(**{"images.safetensors": images([0, 1])}))
    files["bad-image-labels.agora"] = archive(good(**{"images.safetensors": images([0, 7])}))
    # Adam's moments shaped for another network (Agora keeps layer 0's weight as [2, 4]).
    moments = save({"layers.0.weight.exp_avg": np.zeros((3, 2), dtype=np.float32)},
                   metadata={"optimizer": "adam", "steps": "3", "rng": "5"})
    files["bad-optimizer-state.agora"] = archive(good(**{"optimizer.safetensors": moments}))
    for name, data in sorted(files.items()):
        (OUT / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


def check(path):
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None, "an entry's CRC does not match"
        manifest = json.loads(zf.read("manifest.json"))
        project = json.loads(zf.read("project.json"))
        tensors = load(zf.read("weights.safetensors"))
    assert manifest["format"] == "agora-project", manifest
    print(f"{path}: {manifest}; {len(project['network']['layers'])} layers")
    for name, array in tensors.items():
        assert np.isfinite(array).all(), name
        print(f"  {name}: {array.dtype} {list(array.shape)}")


if len(sys.argv) == 3 and sys.argv[1] == "--check":
    check(sys.argv[2])
else:
    main()
