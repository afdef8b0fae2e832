"""Time PyTorch on the same job as bench/epoch.ts: one thread, the study's models, batch 32.

Run by the benchmark when python3 with torch is installed; prints one JSON object.
Usage: python3 bench/pytorch_epoch.py ROWS FEATURES CLASSES EPOCHS
"""
import json
import sys
import time

import torch
from torch import nn

torch.set_num_threads(1)
rows, features, classes, epochs = (int(a) for a in sys.argv[1:5])
g = torch.Generator().manual_seed(0)
x = torch.randn(rows, features, generator=g)
y = torch.randint(0, classes, (rows,), generator=g)
xt = torch.randn(10000, features, generator=g)


def model(widths, acts, dropout):
    layers, width = [], features
    for w, a in zip(widths, acts):
        layers += [nn.Linear(width, w), nn.BatchNorm1d(w), nn.GELU() if a == "gelu" else nn.ReLU(), nn.Dropout(dropout)]
        width = w
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def run(name, widths, acts, dropout, lr, momentum):
    torch.manual_seed(0)
    m = model(widths, acts, dropout)
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum, weight_decay=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for epoch in range(epochs + 1):
        m.train()
        perm = torch.randperm(rows)
        t0 = time.perf_counter()
        for i in range(0, rows, 32):
            idx = perm[i:i + 32]
            if len(idx) < 2:
                continue
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(m(x[idx]), y[idx])
            loss.backward()
            opt.step()
        if epoch > 0:  # the first epoch is a warm-up
            times.append(time.perf_counter() - t0)
    m.eval()
    with torch.no_grad():
        m(xt)
        t0 = time.perf_counter()
        m(xt)
        infer = time.perf_counter() - t0
    return {"model": name, "secondsPerEpoch": min(times), "inferenceRowsPerSecond": 10000 / infer}


out = {
    "torch": torch.__version__,
    "results": [
        run("default", [64, 64], ["gelu", "relu"], 0.5, 1e-3, 0.9),
        run("final", [128, 64], ["relu", "relu"], 0.2, 1e-4, 0.85),
    ],
}
print(json.dumps(out))
