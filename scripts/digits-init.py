#!/usr/bin/python3
"""Compare weight initialisations on scikit-learn's 8x8 digits, in mlplab and in PyTorch.

Run by hand from the repository root, after `npm run build`, with Debian's python3-sklearn,
python3-torch and python3-numpy:

    /usr/bin/python3 scripts/digits-init.py [--seeds 1,2,3] [--epochs 30]

It splits the 1,797 digits 75/25 (stratified, random_state 0: 1,347 training rows, 450 test
rows), writes them in the study's .npy layout to a temporary folder, then trains the study's
default model (64 GELU, 64 ReLU, batch norm, dropout 0.5, SGD lr 0.001, momentum 0.9, weight
decay 0.001, batch 32; standardised features, no validation split, no early stopping) for the
given epochs and seeds: with mlplab for each `--init` (auto, xavier, pytorch), and with PyTorch
(its own default initialisation). It prints the test accuracy of every run.
"""

import argparse
import json
import os
import re
import subprocess
import tempfile

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def write_data(folder):
    x, y = load_digits(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    for name, a in [("train_data", xtr.astype(np.float32)), ("test_data", xte.astype(np.float32)), ("train_label", ytr.reshape(-1, 1).astype(np.int64)), ("test_label", yte.reshape(-1, 1).astype(np.int64))]:
        np.save(os.path.join(folder, name + ".npy"), a)
    return xtr.astype(np.float32), ytr, xte.astype(np.float32), yte


def mlplab(folder, init, seed, epochs):
    out = subprocess.run(
        ["node", os.path.join(ROOT, "bin", "mlplab"), "train", "--data", folder, "--preset", "default", "--epochs", str(epochs),
         "--no-early-stopping", "--val-fraction", "0", "--init", init, "--seed", str(seed), "--out", os.path.join(folder, f"run-{init}-{seed}")],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(re.search(r"test accuracy ([\d.]+)%", out).group(1)) / 100


def pytorch(xtr, ytr, xte, yte, seed, epochs):
    torch.manual_seed(seed)
    mean, sd = xtr.mean(0), xtr.std(0)
    sd[sd == 0] = 1
    xtr_t = torch.from_numpy((xtr - mean) / sd)
    xte_t = torch.from_numpy((xte - mean) / sd)
    ytr_t = torch.from_numpy(ytr).long()
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 64), torch.nn.BatchNorm1d(64), torch.nn.GELU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(64, 64), torch.nn.BatchNorm1d(64), torch.nn.ReLU(), torch.nn.Dropout(0.5),
        torch.nn.Linear(64, 10),
    )
    decay = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() == 2]
    rest = [p for n, p in model.named_parameters() if not (n.endswith("weight") and p.dim() == 2)]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 0.001}, {"params": rest, "weight_decay": 0}], lr=0.001, momentum=0.9)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(ytr_t))
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xtr_t[idx]), ytr_t[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        return float((model(xte_t).argmax(1).numpy() == yte).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        xtr, ytr, xte, yte = write_data(folder)
        results = {}
        for init in ["auto", "he", "xavier", "pytorch"]:
            results[f"mlplab --init {init}"] = [mlplab(folder, init, s, args.epochs) for s in seeds]
        results["PyTorch"] = [pytorch(xtr, ytr, xte, yte, s, args.epochs) for s in seeds]
    print(f"digits, {len(ytr)} training rows, {len(yte)} test rows, study default model, {args.epochs} epochs, seeds {seeds}")
    for name, accs in results.items():
        print(f"  {name:24s} " + "  ".join(f"{a:.3f}" for a in accs) + f"   mean {np.mean(accs):.3f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
