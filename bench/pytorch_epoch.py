"""Time PyTorch on the same jobs as bench/epoch.ts; prints one JSON object.

Run by the benchmark when python3 with torch is installed:
  python3 bench/pytorch_epoch.py THREADS EPOCHS study ROWS FEATURES CLASSES
      the study's default and final models, batch 32, SGD, on ROWS x FEATURES normal rows
  python3 bench/pytorch_epoch.py THREADS EPOCHS large TRAIN.npy LABELS.npy TEST.npy
      784-512-256-10 with batch norm, ReLU, dropout 0.3, AdamW, batch 128, on the given rows
Each model trains one warm-up epoch, then EPOCHS timed ones (the best is kept), then predicts
10,000 rows twice (the second is timed).
"""
import json
import sys
import time

import numpy as np
import torch
from torch import nn

threads, epochs, job = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
torch.set_num_threads(threads)


def mlp(features, widths, acts, dropout, classes):
    layers, width = [], features
    for w, a in zip(widths, acts):
        layers += [nn.Linear(width, w), nn.BatchNorm1d(w), nn.GELU() if a == "gelu" else nn.ReLU(), nn.Dropout(dropout)]
        width = w
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def run(name, model, opt, x, y, xt, batch):
    loss_fn = nn.CrossEntropyLoss()
    rows = x.shape[0]
    times = []
    for epoch in range(epochs + 1):
        model.train()
        perm = torch.randperm(rows)
        t0 = time.perf_counter()
        for i in range(0, rows, batch):
            idx = perm[i:i + batch]
            if len(idx) < 2:
                continue
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        if epoch > 0:  # the first epoch is a warm-up
            times.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        model(xt)
        t0 = time.perf_counter()
        model(xt)
        infer = time.perf_counter() - t0
    return {"model": name, "secondsPerEpoch": min(times), "inferenceRowsPerSecond": xt.shape[0] / infer}


results = []
torch.manual_seed(0)
if job == "study":
    rows, features, classes = (int(a) for a in sys.argv[4:7])
    g = torch.Generator().manual_seed(0)
    x = torch.randn(rows, features, generator=g)
    y = torch.randint(0, classes, (rows,), generator=g)
    xt = torch.randn(10000, features, generator=g)
    for name, widths, acts, dropout, lr, momentum in [
        ("default", [64, 64], ["gelu", "relu"], 0.5, 1e-3, 0.9),
        ("final", [128, 64], ["relu", "relu"], 0.2, 1e-4, 0.85),
    ]:
        torch.manual_seed(0)
        m = mlp(features, widths, acts, dropout, classes)
        opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum, weight_decay=1e-3)
        results.append(run(name, m, opt, x, y, xt, 32))
else:
    x = torch.from_numpy(np.load(sys.argv[4]))
    y = torch.from_numpy(np.load(sys.argv[5]).astype(np.int64))
    xt = torch.from_numpy(np.load(sys.argv[6]))
    m = mlp(x.shape[1], [512, 256], ["relu", "relu"], 0.3, 10)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-2)
    results.append(run("large", m, opt, x, y, xt, 128))

print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "results": results}))
