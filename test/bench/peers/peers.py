"""Peer baselines of ../shared/baselines/README.md, re-run on the engine's own embeddings and seeds.

Usage: python3 peers.py INPUT.json OUTPUT.json
INPUT.json: {"pool": "pool.f32", "test": "test.f32", "dim": 1280, "pool_labels": [...],
             "test_labels": [...], "classes": C, "trials": {"<k>": [[seed indices of trial 0], ...]}}
OUTPUT.json: {"results": [{"k", "method", "trial", "accuracy"}], "seconds": {...}}
Features are L2-normalised; every head is LogisticRegression(C=10, max_iter=2000), as the protocol says.
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

warnings.filterwarnings("ignore")


def lr():
    return LogisticRegression(C=10, max_iter=2000)


def class_balanced_st(P, y_seed, seed_idx, C, rounds=5):
    """The README's reference method: in round r keep r/5 * |U|/C most confident per class."""
    unl = np.setdiff1d(np.arange(len(P)), seed_idx)
    X, y = P[seed_idx], y_seed
    m = lr().fit(X, y)
    for r in range(1, rounds + 1):
        proba = m.predict_proba(P[unl])
        pred = m.classes_[proba.argmax(1)]
        conf = proba.max(1)
        quota = int(r / rounds * len(unl) / C)
        keep = []
        for c in range(C):
            idx = np.where(pred == c)[0]
            keep.extend(idx[np.argsort(-conf[idx], kind="stable")][:quota])
        keep = np.array(keep, dtype=int)
        X = np.concatenate([P[seed_idx], P[unl[keep]]])
        y = np.concatenate([y_seed, pred[keep]])
        m = lr().fit(X, y)
    return m


def main():
    cfg = json.load(open(sys.argv[1]))
    d = cfg["dim"]
    P = np.fromfile(cfg["pool"], dtype=np.float32).reshape(-1, d).astype(np.float64)
    T = np.fromfile(cfg["test"], dtype=np.float32).reshape(-1, d).astype(np.float64)
    P /= np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-12)
    T /= np.maximum(np.linalg.norm(T, axis=1, keepdims=True), 1e-12)
    yp = np.array(cfg["pool_labels"])
    yt = np.array(cfg["test_labels"])
    C = cfg["classes"]
    out = []
    secs = {}

    def acc(m):
        return float((m.predict(T) == yt).mean())

    t = time.time()
    out.append({"k": 0, "method": "full_pool_sklearn", "trial": 0, "accuracy": acc(lr().fit(P, yp))})
    secs["full_pool_fit"] = time.time() - t
    for k, trials in cfg["trials"].items():
        for ti, seed_idx in enumerate(trials):
            seed_idx = np.array(seed_idx, dtype=int)
            y_semi = np.full(len(P), -1)
            y_semi[seed_idx] = yp[seed_idx]
            out.append({"k": int(k), "method": "seed_only_sklearn", "trial": ti, "accuracy": acc(lr().fit(P[seed_idx], yp[seed_idx]))})
            st = SelfTrainingClassifier(lr(), threshold=0.9, max_iter=10).fit(P, y_semi)
            out.append({"k": int(k), "method": "SelfTraining", "trial": ti, "accuracy": acc(st)})
            ls = LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100).fit(P, y_semi)
            out.append({"k": int(k), "method": "LabelSpreading", "trial": ti, "accuracy": acc(ls)})
            t = time.time()
            cb = class_balanced_st(P, yp[seed_idx], seed_idx, C)
            secs.setdefault("class_balanced_trial", time.time() - t)
            out.append({"k": int(k), "method": "class_balanced_ST", "trial": ti, "accuracy": acc(cb)})
            print(f"k={k} trial {ti}: " + ", ".join(f"{r['method']} {r['accuracy']:.3f}" for r in out[-5:]), file=sys.stderr, flush=True)
    json.dump({"results": out, "seconds": secs}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
