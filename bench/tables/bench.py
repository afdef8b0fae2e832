#!/usr/bin/python3
"""Profile each CSV made by make.py and run quick scikit-learn baselines.

75/25 split, random_state=0 (stratified for classification). Encoding: numeric ->
SimpleImputer(median)+StandardScaler; text -> SimpleImputer(most_frequent)+OneHotEncoder(ignore).
Models: MLPClassifier/MLPRegressor(random_state=0, max_iter=500) (regressor target standardised
through TransformedTargetRegressor) and HistGradientBoosting*(random_state=0) on the same encoding.
Each fit is aborted after 120 s. Each table's two parts are also written, as text, to
split/<name>/{train,test}.csv for mlplab (SPLIT_ONLY=1 writes them and fits nothing).
Usage: /usr/bin/python3 bench.py [table ...]
"""
import os
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import json, signal, sys, time, warnings
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, balanced_accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
# Everything made goes to build/tables/ (ignored by git): package files, CSVs, results.
OUT = os.environ.get("TABLES_DIR", os.path.join(HERE, "..", "..", "build", "tables"))
os.makedirs(OUT, exist_ok=True)
LIMIT = 120
PANDAS_NA_TOKENS = {"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                    "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null", "?"}


class Timeout(Exception):
    pass


def _alarm(*_):
    raise Timeout()


signal.signal(signal.SIGALRM, _alarm)


def profile(df, task):
    X = df.iloc[:, :-1]
    y = df.iloc[:, -1]
    n_num = n_cat = n_bool = 0
    for c in X.columns:
        k = X[c].nunique(dropna=True)
        if k <= 2:
            n_bool += 1
        elif pd.api.types.is_numeric_dtype(X[c]):
            n_num += 1
        else:
            n_cat += 1
    text_cols = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    max_card = max([X[c].nunique() for c in text_cols], default=0)
    tokens = {}
    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            for v in df[c].dropna().unique():
                if str(v) in PANDAS_NA_TOKENS:
                    tokens[f"{c}={v}"] = int((df[c] == v).sum())
    p = dict(rows=len(df), features=X.shape[1], numeric=n_num, categorical=n_cat, boolean=n_bool,
             max_cardinality=int(max_card),
             missing_pct=round(100 * X.isna().to_numpy().mean(), 2),
             rows_with_missing=int(X.isna().any(axis=1).sum()),
             duplicate_rows=int(df.duplicated().sum()),
             duplicate_X_conflicting_y=int((X.duplicated(keep=False) & ~df.duplicated(keep=False)).sum()),
             na_like_tokens=tokens, target=df.columns[-1])
    if task == "clf":
        vc = y.value_counts()
        p.update(classes=int(len(vc)), min_class=int(vc.min()), min_class_label=str(vc.index[-1]),
                 majority_pct=round(100 * vc.max() / len(y), 1))
    else:
        p.update(target_mean=float(y.mean()), target_std=float(y.std()), target_skew=float(y.skew()))
    return p


def encoder(X):
    num = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    cat = [c for c in X.columns if c not in num]
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cat),
    ])


def fit_score(model, Xtr, ytr, Xte, yte, task):
    pipe = Pipeline([("enc", encoder(Xtr)), ("model", model)])
    t0 = time.time()
    signal.alarm(LIMIT)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipe.fit(Xtr, ytr)
    except Timeout:
        return {"skipped": f">{LIMIT}s"}
    finally:
        signal.alarm(0)
    secs = time.time() - t0
    pred = pipe.predict(Xte)
    inner = pipe.named_steps["model"]
    inner = getattr(inner, "regressor_", inner)
    out = {"secs": round(secs, 1), "n_iter": int(getattr(inner, "n_iter_", -1)),
           "n_inputs": int(pipe.named_steps["enc"].transform(Xte[:1]).shape[1])}
    if task == "clf":
        out["acc"] = round(accuracy_score(yte, pred), 4)
        out["bal_acc"] = round(balanced_accuracy_score(yte, pred), 4)
    else:
        out["r2"] = round(r2_score(yte, pred), 4)
    return out


def write_split(name, meta, train_index, test_index):
    """The rows of each part as the CSV had them (text untouched), for mlplab to read."""
    raw = pd.read_csv(meta["csv"], keep_default_na=False, dtype=str)
    folder = os.path.join(OUT, "split", name)
    os.makedirs(folder, exist_ok=True)
    raw.loc[train_index].to_csv(os.path.join(folder, "train.csv"), index=False)
    raw.loc[test_index].to_csv(os.path.join(folder, "test.csv"), index=False)


def run(name, meta):
    task = meta["task"]
    df = pd.read_csv(meta["csv"], keep_default_na=False, na_values=[""])
    prof = profile(df, task)
    X, y = df.iloc[:, :-1], df.iloc[:, -1]
    if task == "clf":
        y = y.astype(str)
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
        models = {"mlp": MLPClassifier(random_state=0, max_iter=500),
                  "hgb": HistGradientBoostingClassifier(random_state=0)}
    else:
        Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
        models = {"mlp": TransformedTargetRegressor(MLPRegressor(random_state=0, max_iter=500),
                                                    transformer=StandardScaler()),
                  "hgb": HistGradientBoostingRegressor(random_state=0)}
    write_split(name, meta, Xtr.index, Xte.index)
    if os.environ.get("SPLIT_ONLY"):
        return None
    res = {k: fit_score(m, Xtr, ytr, Xte, yte, task) for k, m in models.items()}
    return {"name": name, **meta, "profile": prof, "scores": res}


def main(names):
    metas = json.load(open(os.path.join(OUT, "tables.json")))
    out_path = os.path.join(OUT, "results.json")
    results = json.load(open(out_path)) if os.path.exists(out_path) else {}
    for name, meta in metas.items():
        if names and name not in names:
            continue
        r = run(name, meta)
        if r is None:
            continue
        results[name] = r
        json.dump(results, open(out_path, "w"), indent=1)
        print(name, json.dumps(r["scores"]), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
