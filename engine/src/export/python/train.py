"""Trains the network of model.py with the recipe it had in Agora, on the exported data.

    python train.py                          # one process (the GPU if there is one)
    torchrun --nproc-per-node 4 train.py     # four processes, DistributedDataParallel
    python train.py --epochs 5 --weights model.safetensors   # go on from Agora's weights

Training images are augmented as in Agora when the project asked for it (agora.json's
"augment": crop, flip, brightness). Each process trains on its share of every epoch (DistributedSampler) with the recipe's batch
size, so N processes take N times the batch per step. Only the first process prints and writes
trained.safetensors (the same tensor names and layouts as model.safetensors: load it into
model.py's AgoraNet). With --weights, the schedule goes on from the epochs Agora trained
(--start-epoch to change that); the optimizer's moments start afresh. Written by Agora; needs
torch, safetensors and, for images, pillow.
"""
import argparse
import math
import os
import random

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler

from common import HERE, Source, config, load_split
from model import AgoraNet


def rate_at(recipe, epoch, fraction):
    """Agora's learning rate at `epoch` + `fraction` (warm-up, then the schedule)."""
    base = recipe["learning_rate"]
    position = epoch + min(max(fraction, 0.0), 1.0)
    warmup = recipe["warmup_epochs"]
    if position < warmup:
        return base * max(position / warmup, 0.0)
    schedule = recipe["schedule"]
    if schedule == "Constant":
        return base
    if isinstance(schedule, dict) and "Step" in schedule:
        step = schedule["Step"]
        return base * step["gamma"] ** (epoch // max(step["every"], 1))
    total = max(min(max(recipe["epochs"], 1), 1 << 30) - warmup, 1e-9)
    progress = min(max((position - warmup) / total, 0.0), 1.0)
    return base * 0.5 * (1.0 + math.cos(math.pi * progress))


def optimizer(recipe, params):
    kind, lr, wd = recipe["optimizer"], recipe["learning_rate"], max(recipe["weight_decay"], 0.0)
    if kind == "Sgd":
        return torch.optim.SGD(params, lr=lr, momentum=recipe["momentum"],
                               nesterov=recipe["nesterov"] and recipe["momentum"] > 0, weight_decay=wd)
    if kind == "Adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if kind == "AdamW":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    return torch.optim.RMSprop(params, lr=lr, momentum=recipe["momentum"], weight_decay=wd)


def glorot(model):
    """Agora's "Glorot uniform" start: weights uniform in ±sqrt(6 / (fan_in + fan_out)), biases 0."""
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(module.weight)
            torch.nn.init.zeros_(module.bias)


def penalty(model, recipe):
    """TensorFlow Playground's L1 / L2 on the weights of Dense and Conv2d layers, added to the loss."""
    if recipe["penalty"] == "None" or recipe["penalty_rate"] <= 0:
        return 0.0
    total = 0.0
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            w = module.weight
            total = total + (w.abs().sum() if recipe["penalty"] == "L1" else 0.5 * (w * w).sum())
    return recipe["penalty_rate"] * total


def augment(x, aug):
    """Agora's augmentation of a batch of images [N, C, H, W] in [0, 1], each image anew: zoom
    into a random square of 80-100 % of the side, mirror left-right half of the time, scale the
    brightness by 0.75-1.25."""
    if x.dim() != 4 or not (aug.get("crop") or aug.get("flip") or aug.get("brightness")):
        return x
    n, c, h, w = x.shape
    out = []
    for image in x:
        if aug.get("crop"):
            share = random.uniform(0.8, 1.0)
            ch, cw = min(max(round(h * share), 1), h), min(max(round(w * share), 1), w)
            top, left = random.randrange(h - ch + 1), random.randrange(w - cw + 1)
            window = image[None, :, top:top + ch, left:left + cw]
            image = F.interpolate(window, size=(h, w), mode="bilinear", align_corners=False)[0]
        if aug.get("flip") and random.random() < 0.5:
            image = image.flip(-1)
        if aug.get("brightness"):
            image = (image * random.uniform(0.75, 1.25)).clamp(0.0, 1.0)
        out.append(image)
    return torch.stack(out)


def loss_of(scores, targets, task):
    return F.cross_entropy(scores, targets) if task == "classification" else F.mse_loss(scores, targets)


def evaluate(model, inputs, targets, task, device):
    """(mean loss, accuracy) over a whole split, in evaluation mode."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for start in range(0, len(inputs), 500):
            x = inputs[start:start + 500].to(device)
            y = targets[start:start + 500].to(device)
            scores = model(x)
            total += loss_of(scores, y, task).item() * len(x)
            if task == "classification":
                correct += (scores.argmax(1) == y).sum().item()
            count += len(x)
    model.train()
    return total / max(count, 1), (correct / max(count, 1) if task == "classification" else float("nan"))


def main():
    cfg = config()
    recipe = cfg["recipe"]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=HERE, help="the export's folder or zip (default: this folder)")
    parser.add_argument("--epochs", type=int, default=cfg["epochs"], help=f"default {cfg['epochs']}")
    parser.add_argument("--weights", help="start from these weights (model.safetensors) instead of fresh ones")
    parser.add_argument("--start-epoch", type=int, help="where the schedule starts (default: 0, or the epochs Agora trained with --weights)")
    parser.add_argument("--seed", type=int, default=cfg["seed"])
    parser.add_argument("--out", default="trained.safetensors")
    args = parser.parse_args()

    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    rank = int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    world = dist.get_world_size() if distributed else 1
    say = print if rank == 0 else (lambda *a, **k: None)

    torch.manual_seed(args.seed)
    random.seed(args.seed * 1000 + rank)
    source = Source(args.data)
    train_x, train_y = load_split(source, cfg, "train")
    val_x, val_y = load_split(source, cfg, "val")
    if len(train_x) == 0:
        raise SystemExit("the export holds no training data (export it with the data)")
    task = cfg["task"]

    model = AgoraNet()
    if args.weights:
        from safetensors.torch import load_file
        model.load_state_dict(load_file(args.weights))
    elif recipe["init"] == "Glorot":
        glorot(model)
    model.to(device)
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    opt = optimizer(recipe, net.parameters())
    first = args.start_epoch if args.start_epoch is not None else (cfg["epochs_trained"] if args.weights else 0)
    batch_size = max(int(recipe["batch_size"]), 1)

    dataset = TensorDataset(train_x, train_y)
    sampler = DistributedSampler(dataset, shuffle=recipe["shuffle"], seed=args.seed) if distributed else None
    share = len(sampler) if sampler is not None else len(dataset)
    # A last batch of one sample cannot train a batch norm in PyTorch (Agora's can): drop it.
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler,
                        shuffle=(recipe["shuffle"] if sampler is None else False),
                        drop_last=(share % batch_size == 1 and share > 1))
    say(f"{len(train_x)} training and {len(val_x)} validation samples, {world} process(es), device {device.type}")
    loss0, acc0 = evaluate(model, val_x, val_y, task, device)
    say(f"epoch 0: val loss {loss0:.4f}  val accuracy {acc0:.4f}")
    for epoch in range(first, first + args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        sums = torch.zeros(3, device=device)  # loss × n, correct, n
        for batch, (x, y) in enumerate(loader):
            x, y = augment(x, cfg.get("augment") or {}).to(device), y.to(device)
            for group in opt.param_groups:
                group["lr"] = rate_at(recipe, epoch, batch * batch_size / max(share, 1))
            scores = net(x)
            loss = loss_of(scores, y, task)
            opt.zero_grad()
            (loss + penalty(model, recipe)).backward()
            if recipe.get("clip_norm") is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), recipe["clip_norm"])
            opt.step()
            sums[0] += loss.detach() * len(x)
            if task == "classification":
                sums[1] += (scores.argmax(1) == y).sum()
            sums[2] += len(x)
        if distributed:
            dist.all_reduce(sums)
        train_loss = (sums[0] / sums[2]).item()
        train_acc = (sums[1] / sums[2]).item() if task == "classification" else float("nan")
        val_loss, val_acc = evaluate(model, val_x, val_y, task, device)
        say(f"epoch {epoch + 1}: train loss {train_loss:.4f}  train accuracy {train_acc:.4f}  "
            f"val loss {val_loss:.4f}  val accuracy {val_acc:.4f}")
    if rank == 0:
        from safetensors.torch import save_file
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        save_file(state, args.out, metadata={"format": "pt", "agora.network": cfg["network_json"]})
        say(f"wrote {args.out}")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
