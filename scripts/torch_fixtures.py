#!/usr/bin/env python3
"""Writes engine/tests/fixtures/torch.json: what PyTorch computes for Agora's layers.

The engine test `engine/tests/torch_reference.rs` loads the same inputs and weights into
Agora's model and compares outputs, losses, gradients and parameters after optimizer steps.
CI needs only the committed JSON; regenerate it after changing a layer's meaning:

    python3 -m venv /tmp/torch && /tmp/torch/bin/pip install torch numpy
    /tmp/torch/bin/python scripts/torch_fixtures.py engine/tests/fixtures/torch.json

Layers are described exactly as Agora's serde JSON (`vision::Layer`), so this file is also a
second, independent definition of what each layer means.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261121)
torch.set_default_dtype(torch.float64)  # compute the reference in f64; Agora runs in f32


def host(t):
    t = t.detach().to(torch.float64)
    return {"shape": list(t.shape), "values": [round(float(v), 9) for v in t.flatten()]}


class Net(nn.Module):
    """Agora's graph semantics: tap 0 = input, layer i reads tap i and writes tap i + 1."""

    def __init__(self, input_shape, layers):
        super().__init__()
        self.layers = layers
        self.mods = nn.ModuleList()
        shape = tuple(input_shape)  # (C, H, W) or (F,)
        shapes = [shape]
        for layer in layers:
            mod, shape = self.build(layer, shape, shapes)
            self.mods.append(mod)
            shapes.append(shape)
        self.shapes = shapes

    @staticmethod
    def build(layer, shape, shapes):
        if isinstance(layer, str):
            kind, args = layer, None
        else:
            (kind, args), = layer.items()
        if kind == "Conv2d":
            c, h, w = shape
            k, s, p, d = args["kernel"], args["stride"], args["padding"], args["dilation"]
            mod = nn.Conv2d(c, args["filters"], k, stride=s, padding=p, dilation=d)
            span = d * (k - 1) + 1
            return mod, (args["filters"], (h + 2 * p - span) // s + 1, (w + 2 * p - span) // s + 1)
        if kind in ("MaxPool", "AvgPool"):
            c, h, w = shape
            k, s = args["size"], args["stride"]
            mod = nn.MaxPool2d(k, s) if kind == "MaxPool" else nn.AvgPool2d(k, s)
            return mod, (c, (h - k) // s + 1, (w - k) // s + 1)
        if kind == "GlobalAvgPool":
            return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), (shape[0],)
        if kind == "Flatten":
            n = 1
            for v in shape:
                n *= v
            return nn.Flatten(), (n,)
        if kind == "Dense":
            return nn.Linear(shape[0], args["units"]), (args["units"],)
        if kind == "BatchNorm":
            mod = nn.BatchNorm2d(shape[0]) if len(shape) == 3 else nn.BatchNorm1d(shape[0])
            with torch.no_grad():  # non-trivial affine parameters
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
            return mod, shape
        if kind == "LayerNorm":
            mod = nn.LayerNorm(list(shape))
            with torch.no_grad():
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.5, 0.5)
            return mod, shape
        if kind == "Activation":
            return {
                "Relu": nn.ReLU(),
                "LeakyRelu": nn.LeakyReLU(0.01),
                "Gelu": nn.GELU(),
                "Tanh": nn.Tanh(),
                "Sigmoid": nn.Sigmoid(),
            }[args], shape
        if kind == "Add":
            assert shapes[args["from"]] == shape
            return nn.Identity(), shape
        if kind == "Concat":
            other = shapes[args["from"]]
            joined = (shape[0] + other[0],) + tuple(shape[1:])
            return nn.Identity(), joined
        if kind == "Softmax":
            return nn.Softmax(dim=1), shape
        if kind == "Dropout":
            return nn.Dropout(args["percent"] / 100), shape
        raise ValueError(kind)

    def forward(self, x):
        taps = [x]
        for layer, mod in zip(self.layers, self.mods):
            kind = layer if isinstance(layer, str) else next(iter(layer))
            y = mod(taps[-1])
            if kind == "Add":
                y = y + taps[layer["Add"]["from"]]
            elif kind == "Concat":
                y = torch.cat([y, taps[layer["Concat"]["from"]]], dim=1)
            taps.append(y)
        return taps

    def agora_params(self, grads=False):
        """Per layer, in Agora's order and layout (Dense weights transposed to [in, out])."""
        out = []
        for layer, mod in zip(self.layers, self.mods):
            kind = layer if isinstance(layer, str) else next(iter(layer))
            get = (lambda p: p.grad) if grads else (lambda p: p)
            if kind == "Conv2d":
                out.append([host(get(mod.weight)), host(get(mod.bias))])
            elif kind == "Dense":
                out.append([host(get(mod.weight).t()), host(get(mod.bias))])
            elif kind == "BatchNorm":
                entry = [host(get(mod.weight)), host(get(mod.bias))]
                if not grads:
                    entry += [host(mod.running_mean), host(mod.running_var)]
                out.append(entry)
            elif kind == "LayerNorm":
                out.append([host(get(mod.weight).flatten()), host(get(mod.bias).flatten())])
            else:
                out.append([])
        return out


def layer_case(name, input_shape, layers, batch=3):
    net = Net(input_shape, layers)
    params = net.agora_params()
    x = torch.randn(batch, *input_shape, requires_grad=True)
    net.train()
    taps = net(x)
    out = taps[-1]
    probe = torch.randn_like(out)
    loss = (out * probe).sum()
    loss.backward()
    return {
        "name": name,
        "input_shape": list(input_shape),
        "layers": layers,
        "params": params,
        "input": host(x),
        "probe": host(probe),
        "output": host(out),
        "loss": float(loss.detach()),
        "input_grad": host(x.grad),
        "param_grads": net.agora_params(grads=True),
        "params_after_forward": net.agora_params(),
    }


def conv(filters, kernel, stride=1, padding=0, dilation=1):
    return {"Conv2d": {"filters": filters, "kernel": kernel, "stride": stride,
                       "padding": padding, "dilation": dilation}}


def act(name):
    return {"Activation": name}


def recipe(optimizer, lr, momentum=0.0, nesterov=False, weight_decay=0.0, clip_norm=None):
    return {"optimizer": optimizer, "learning_rate": lr, "momentum": momentum,
            "nesterov": nesterov, "weight_decay": weight_decay, "clip_norm": clip_norm,
            "schedule": "Constant", "warmup_epochs": 0, "epochs": 1, "batch_size": 4,
            "shuffle": False}


def torch_optimizer(r, params):
    lr, wd, m = r["learning_rate"], r["weight_decay"], r["momentum"]
    kind = r["optimizer"]
    if kind == "Sgd":
        return torch.optim.SGD(params, lr=lr, momentum=m, nesterov=r["nesterov"], weight_decay=wd)
    if kind == "Adam":
        return torch.optim.Adam(params, lr=lr, eps=1e-8, weight_decay=wd)
    if kind == "AdamW":
        return torch.optim.AdamW(params, lr=lr, eps=1e-8, weight_decay=wd)
    if kind == "RmsProp":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8, momentum=m, weight_decay=wd)
    raise ValueError(kind)


def network_json(input_shape, layers, classes):
    """The network as Agora's serde JSON (`vision::ImageNetwork`)."""
    return {"input": {"channels": input_shape[0], "height": input_shape[1], "width": input_shape[2]},
            "layers": layers, "classes": classes}


def network_case(name, input_shape, layers, classes, recipes, batch=4):
    net = Net(input_shape, layers)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    params = net.agora_params()
    x = torch.randn(batch, *input_shape)
    labels = torch.randint(0, classes, (batch,))
    net.train()
    taps = net(x)
    logits = taps[-2]
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    case = {
        "name": name,
        "network": network_json(input_shape, layers, classes),
        "params": params,
        "input": host(x),
        "labels": [int(v) for v in labels],
        "logits": host(logits),
        "probabilities": host(taps[-1]),
        "loss": float(loss.detach()),
        "param_grads": net.agora_params(grads=True),
        "optimizers": [],
    }
    for label, r in recipes:
        net.load_state_dict(state)
        net.zero_grad()
        opt = torch_optimizer(r, net.parameters())
        losses = []
        for _ in range(3):
            opt.zero_grad()
            step_loss = F.cross_entropy(net(x)[-2], labels)
            step_loss.backward()
            if r["clip_norm"] is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), r["clip_norm"])
            opt.step()
            losses.append(float(step_loss.detach()))
        case["optimizers"].append({"name": label, "recipe": r, "losses": losses,
                                   "params_after": net.agora_params()})
    net.load_state_dict(state)
    net.eval()
    case["eval_logits"] = host(net(x)[-2])
    return case


def grad_cam_tap(layers):
    """Agora's rule: the output of the last Conv2d's block (activations, norms, dropouts and
    skips right after it), before pooling or flattening; None without a Conv2d."""
    kinds = [layer if isinstance(layer, str) else next(iter(layer)) for layer in layers]
    convs = [i for i, k in enumerate(kinds) if k == "Conv2d"]
    if not convs:
        return None
    end = convs[-1]
    while end + 1 < len(kinds) and kinds[end + 1] in ("Activation", "BatchNorm", "LayerNorm", "Dropout", "Add", "Concat"):
        end += 1
    return end + 1


def saliency_case(name, input_shape, layers, classes, target_class=None):
    """Grad-CAM (or |gradient x input| without a conv) for one image, in eval mode."""
    net = Net(input_shape, layers)
    # Move batch-norm running statistics off their start so eval mode means something.
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(6, *input_shape))
    net.eval()
    params = net.agora_params()
    x = torch.randn(1, *input_shape)
    tap = grad_cam_tap(layers)
    if tap is None:
        x.requires_grad_(True)
    taps = net(x)
    logits = taps[-2]
    cls = int(logits.argmax(1)) if target_class is None else target_class
    if tap is not None:
        taps[tap].retain_grad()
    logits[0, cls].backward()
    if tap is not None:
        maps = taps[tap][0]
        weights = taps[tap].grad[0].mean(dim=(1, 2))
        heat = torch.relu((weights[:, None, None] * maps).sum(0))
    else:
        heat = (x.grad[0] * x[0]).sum(0).abs()
    return {
        "name": name,
        "network": network_json(input_shape, layers, classes),
        "params": params,
        "input": host(x),
        "class": target_class,
        "expected_class": cls,
        "tap": tap,
        "heat": host(heat),
    }


def main(target):
    layer_cases = [
        layer_case("conv2d 3x3 pad 1", (2, 6, 6), [conv(3, 3, padding=1)]),
        layer_case("conv2d stride 2 pad 2 dilation 2", (2, 7, 7), [conv(4, 3, 2, 2, 2)]),
        layer_case("conv2d 1x1", (3, 4, 4), [conv(2, 1)]),
        layer_case("maxpool 2/2", (2, 6, 6), [{"MaxPool": {"size": 2, "stride": 2}}]),
        layer_case("maxpool 3/2 overlapping", (2, 7, 7), [{"MaxPool": {"size": 3, "stride": 2}}]),
        layer_case("avgpool 2/2", (2, 6, 6), [{"AvgPool": {"size": 2, "stride": 2}}]),
        layer_case("avgpool 3/1", (2, 5, 5), [{"AvgPool": {"size": 3, "stride": 1}}]),
        layer_case("global average pool", (3, 4, 5), ["GlobalAvgPool"]),
        layer_case("flatten + dense", (2, 3, 3), ["Flatten", {"Dense": {"units": 5}}]),
        layer_case("batchnorm on images", (3, 4, 4), ["BatchNorm"], batch=4),
        layer_case("batchnorm on vectors", (2, 2, 2), ["Flatten", "BatchNorm"], batch=5),
        layer_case("layernorm on images", (2, 3, 3), ["LayerNorm"]),
        layer_case("layernorm on vectors", (2, 2, 3), ["Flatten", "LayerNorm"]),
        layer_case("relu", (2, 3, 3), [act("Relu")]),
        layer_case("leaky relu", (2, 3, 3), [act("LeakyRelu")]),
        layer_case("gelu", (2, 3, 3), [act("Gelu")]),
        layer_case("tanh", (2, 3, 3), [act("Tanh")]),
        layer_case("sigmoid", (2, 3, 3), [act("Sigmoid")]),
        layer_case("add (residual)", (3, 4, 4), [conv(3, 3, padding=1), {"Add": {"from": 0}}]),
        layer_case("concat channels", (2, 4, 4), [conv(3, 3, padding=1), {"Concat": {"from": 0}}]),
        layer_case("concat vectors", (2, 2, 2), ["Flatten", {"Dense": {"units": 3}}, {"Concat": {"from": 1}}]),
        layer_case("dense + softmax", (2, 2, 2), ["Flatten", {"Dense": {"units": 4}}, "Softmax"]),
        layer_case("dropout at 0 %", (2, 3, 3), [{"Dropout": {"percent": 0}}]),
    ]
    # A small residual network. Batch norm follows the ReLU, so no bias feeds a norm directly:
    # such a bias has a gradient of exactly zero in theory and of rounding noise in practice,
    # which Adam and RMSprop would blow up into steps of random sign.
    resnet = [
        conv(4, 3, padding=1), act("Relu"), "BatchNorm",
        conv(4, 3, padding=1), act("Relu"),
        conv(4, 3, padding=1), {"Add": {"from": 3}}, act("Relu"),
        {"MaxPool": {"size": 2, "stride": 2}},
        "GlobalAvgPool", {"Dense": {"units": 3}}, "Softmax",
    ]
    recipes = [
        ("SGD", recipe("Sgd", 0.1)),
        ("SGD momentum + weight decay", recipe("Sgd", 0.05, momentum=0.9, weight_decay=1e-3)),
        ("SGD Nesterov", recipe("Sgd", 0.05, momentum=0.9, nesterov=True)),
        ("SGD clipped to norm 0.5", recipe("Sgd", 0.1, clip_norm=0.5)),
        ("Adam", recipe("Adam", 0.01)),
        ("Adam + L2", recipe("Adam", 0.01, weight_decay=1e-2)),
        ("AdamW", recipe("AdamW", 0.01, weight_decay=0.1)),
        ("RMSprop", recipe("RmsProp", 0.01)),
        ("RMSprop momentum + weight decay", recipe("RmsProp", 0.005, momentum=0.9, weight_decay=1e-3)),
    ]
    nets = [
        network_case("residual network", (2, 6, 6), resnet, 3, recipes),
        network_case("conv-bn residual block (agora preset)", (1, 6, 6), [
            conv(8, 3, padding=1), "BatchNorm", act("Relu"),
            conv(8, 3, padding=1), "BatchNorm", act("Relu"),
            conv(8, 3, padding=1), "BatchNorm", {"Add": {"from": 3}}, act("Relu"),
            "GlobalAvgPool", {"Dense": {"units": 3}}, "Softmax",
        ], 3, recipes[:1]),
    ]
    saliency = [
        saliency_case("grad-cam, residual network, predicted class", (2, 6, 6), resnet, 3),
        saliency_case("grad-cam, residual network, class 1", (2, 6, 6), resnet, 3, target_class=1),
        saliency_case("grad-cam, lenet-like (after ReLU, before pooling)", (1, 8, 8), [
            conv(3, 3, padding=1), act("Relu"), {"MaxPool": {"size": 2, "stride": 2}},
            "Flatten", {"Dense": {"units": 4}}, "Softmax",
        ], 4),
        saliency_case("gradient x input, no convolution", (2, 3, 3), [
            "Flatten", {"Dense": {"units": 5}}, act("Tanh"), {"Dense": {"units": 3}}, "Softmax",
        ], 3),
    ]
    out = {
        "generator": "scripts/torch_fixtures.py",
        "torch_version": torch.__version__,
        "layer_cases": layer_cases,
        "network_cases": nets,
        "saliency_cases": saliency,
    }
    with open(target, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {target}: {len(layer_cases)} layer cases, {len(nets)} networks, {len(saliency)} saliency cases")


if __name__ == "__main__":
    main(sys.argv[1])
