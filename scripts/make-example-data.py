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

# Palmer penguins (Horst, Hill and Gorman; CC0): 344 penguins of 3 species, with text columns
# (island, sex) and blank cells ("NA"), as the R package palmerpenguins ships it (Debian's
# r-cran-palmerpenguins; bench/tables/make.py downloads it into build/tables/pkgs/).
import csv
import sys

src = Path(sys.argv[1]) if len(sys.argv) > 1 else out.parent.parent / "build" / "tables" / "pkgs" / "x" / "usr" / "lib" / "R" / "site-library" / "palmerpenguins" / "extdata" / "penguins.csv"
with open(src, newline="") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
species = [r[0] for r in body]
tr, te = train_test_split(body, test_size=0.25, stratify=species, random_state=0)


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


write_rows(out / "penguins-train.csv", header, tr)
write_rows(out / "penguins-test.csv", header, te)
# New rows to predict: no species; one with a blank sex, one from an island the training rows never saw.
new = [r[1:] for r in te[:3]] + [["Biscoe", "47.5", "14.9", "216", "5100", "NA", "2009"], ["Anvers", "38.2", "18.1", "187", "3550", "female", "2009"]]
write_rows(out / "penguins-new.csv", header[1:], new)
print(f"wrote {len(tr)} training rows, {len(te)} test rows and {len(new)} new rows of penguins to {out}")

# The same penguins as JSON records (all 344: an array of objects, null for a blank), the form a
# JavaScript program holds a table in.
import json


def cell(v, numeric):
    if v == "NA":
        return None
    return float(v) if numeric and "." in v else int(v) if numeric else v


numeric = [False, False, True, True, True, True, False, True]
records = [{h: cell(v, numeric[j]) for j, (h, v) in enumerate(zip(header, r))} for r in body]
(out / "penguins.json").write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
print(f"wrote {len(records)} records to {out / 'penguins.json'}")
