#!/usr/bin/python3
"""Print the markdown table of SURVEY.md from tables.json + results.json."""
import json, os
HERE = os.path.dirname(os.path.abspath(__file__))
# Everything made goes to build/tables/ (ignored by git): package files, CSVs, results.
OUT = os.environ.get("TABLES_DIR", os.path.join(HERE, "..", "..", "build", "tables"))
os.makedirs(OUT, exist_ok=True)
r = json.load(open(os.path.join(OUT, "results.json")))
order = list(json.load(open(os.path.join(OUT, "tables.json"))))
print("| # | table | source (package: path [object]) | licence | rows | feats | num / cat / bool | max card. | missing % (rows w/ NA) | dup rows | target | task | MLP | HGB |")
print("|---|---|---|---|---:|---:|---|---:|---|---:|---|---|---|---|")
for i, n in enumerate(order, 1):
    v = r[n]; p = v["profile"]; s = v["scores"]
    if v["task"] == "clf":
        task = f"{p['classes']} classes, smallest {p['min_class']} ({p['min_class_label']}), majority {p['majority_pct']}%"
        fmt = lambda d: d.get("skipped") or f"{d['acc']:.3f} ({d['bal_acc']:.3f}) {d['secs']}s"
    else:
        task = f"regression (skew {p['target_skew']:.1f})"
        fmt = lambda d: d.get("skipped") or f"R² {d['r2']:.3f} {d['secs']}s"
    print(f"| {i} | {n} | {v['source']} | {v['licence'].replace('|', ' or ')} | {p['rows']} | {p['features']} | "
          f"{p['numeric']} / {p['categorical']} / {p['boolean']} | {p['max_cardinality']} | "
          f"{p['missing_pct']} ({p['rows_with_missing']}) | {p['duplicate_rows']} | `{p['target']}` | {task} | "
          f"{fmt(s['mlp'])} | {fmt(s['hgb'])} |")
