#!/usr/bin/python3
"""scikit-learn's MLPClassifier and HistGradientBoostingClassifier on Fashion-MNIST, the
shipped copy (data/fashion-mnist), with its own 60,000/10,000 split: the row of the tables
benchmark that mlplab's `mlplab train` with no flag is compared with. Standard scaling for
the MLP, raw pixels for the trees; the same settings as bench.py (random_state=0,
max_iter=500). Writes build/tables/fashion.json. Usage: /usr/bin/python3 bench/tables/fashion.py
"""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import gzip, json, time, warnings
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data", "fashion-mnist")
OUT = os.environ.get("TABLES_DIR", os.path.join(HERE, "..", "..", "build", "tables"))


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


x_tr = idx("train-images-idx3-ubyte.gz").reshape(60000, -1).astype(np.float32)
y_tr = idx("train-labels-idx1-ubyte.gz")
x_te = idx("t10k-images-idx3-ubyte.gz").reshape(10000, -1).astype(np.float32)
y_te = idx("t10k-labels-idx1-ubyte.gz")
out = {}
for name, model in [("mlp", make_pipeline(StandardScaler(), MLPClassifier(random_state=0, max_iter=500))),
                    ("hgb", HistGradientBoostingClassifier(random_state=0))]:
    t0 = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_tr, y_tr)
    out[name] = {"acc": round(accuracy_score(y_te, model.predict(x_te)), 4), "secs": round(time.time() - t0, 1)}
    print(name, out[name], flush=True)
os.makedirs(OUT, exist_ok=True)
json.dump(out, open(os.path.join(OUT, "fashion.json"), "w"), indent=1)
