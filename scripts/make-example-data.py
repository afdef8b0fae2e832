#!/usr/bin/python3
"""Writes examples/data/: the UCI Wine table (178 wines, 13 measurements, 3 cultivars; CC BY 4.0)
as a training and a test CSV with a header (stratified, seeded), and five rows without their
label, the shape of new data to predict. Run with Debian's python3-sklearn installed."""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

out = Path(__file__).resolve().parent.parent / "examples" / "data"
wine = load_wine()
names = [n.replace("od280/od315_of_diluted_wines", "od280_od315") for n in wine.feature_names]
cultivar = np.array(["barolo", "grignolino", "barbera"])[wine.target]
x_tr, x_te, y_tr, y_te = train_test_split(wine.data, cultivar, test_size=0.25, stratify=cultivar, random_state=0)


def write(path, x, y=None):
    header = names + (["cultivar"] if y is not None else [])
    lines = [",".join(header)]
    for i, row in enumerate(x):
        cells = [f"{v:g}" for v in row] + ([y[i]] if y is not None else [])
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


write(out / "wine-train.csv", x_tr, y_tr)
write(out / "wine-test.csv", x_te, y_te)
write(out / "wine-new.csv", x_te[:5])
print(f"wrote {len(y_tr)} training rows, {len(y_te)} test rows and 5 new rows to {out}")
