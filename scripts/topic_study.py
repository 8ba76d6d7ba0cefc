#!/usr/bin/python3
"""Offline study of the fusion signals (docs/ranking.md, issue 12).

Reads what `whoknows eval stackexchange ... --features-tsv F.tsv` writes:
F.<community>.tsv (every candidate of every test question) and, when the
eval learned weights, F.<community>.history.tsv (the replayed history before
the cut-off that `learn` fits on). Fits conditional-logit weights on the
pooled history only, and scores weights on history and on the test split.

  scripts/topic_study.py PREFIX community... [--signals a,b,c] [--norm z]

e.g. after `whoknows eval stackexchange $D/beer... $D/iot... --features-tsv
/tmp/f.tsv`: scripts/topic_study.py /tmp/f beer iot --signals text,recent.
Needs numpy (Debian: apt-get install python3-numpy; runs under
/usr/bin/python3). Offline only: nothing in the build or CI runs it.
"""
import argparse
import collections
import math
import sys

import numpy as np


def read(path, group_col, label_col):
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f]
    gi, li = header.index(group_col), header.index(label_col)
    first = header.index("text")
    names = header[first:]
    groups = collections.OrderedDict()
    for r in rows:
        groups.setdefault(r[gi], []).append(
            (int(r[li]), [float(x) for x in r[first:]]))
    out = []
    for g, cands in groups.items():
        y = np.array([c[0] for c in cands])
        x = np.array([c[1] for c in cands])
        out.append((x, y))
    return names, out


def normalize(x, how):
    if how == "none":
        return x
    if how == "z":
        sd = x.std(axis=0)
        sd[sd == 0] = 1
        return (x - x.mean(axis=0)) / sd
    if how == "max":  # shift so the best candidate is 0
        return x - x.max(axis=0)
    raise ValueError(how)


def mrr(groups, w, total=None):
    rr = []
    p1 = 0
    for x, y in groups:
        if y.sum() == 0:
            rr.append(0.0)
            continue
        s = x @ w
        sl = s[y == 1].max()
        # Ties count against the label, as in `learn` (ReciprocalRank).
        rank = (s >= sl).sum()
        rr.append(1.0 / rank)
        p1 += rank == 1
    n = total or len(rr)
    return sum(rr) / n, p1 / n


def fit(groups, w0, l2=1.0, iters=50):
    w = w0.copy()
    usable = [(x, int(np.argmax(y))) for x, y in groups if y.sum() > 0 and len(y) > 1]
    n = len(usable)
    def obj(w, need=True):
        ll = 0; g = np.zeros_like(w); h = np.zeros((len(w), len(w)))
        for x, l in usable:
            s = x @ w; t = s.max(); p = np.exp(s - t); z = p.sum(); p /= z
            ll += s[l] - t - math.log(z)
            if need:
                m = x.T @ p
                g += x[l] - m
                h -= (x.T * p) @ x - np.outer(m, m)
        v = ll / n - 0.5 * l2 * ((w - w0) ** 2).sum() / n
        return v, g / n - l2 * (w - w0) / n, h / n - l2 * np.eye(len(w)) / n
    v, g, h = obj(w)
    for _ in range(iters):
        step = np.linalg.solve(-h, g)
        t = 1.0
        for _ in range(30):
            nv = obj(w + t * step, False)[0]
            if nv >= v:
                break
            t /= 2
        w = w + t * step
        nv, g, h = obj(w)
        if nv - v < 1e-10:
            break
        v = nv
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("communities", nargs="+")
    ap.add_argument("--signals", default="text,embedding,tags,activity,recency")
    ap.add_argument("--norm", default="none")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--weights", default="", help="fixed weights, no fit")
    ap.add_argument("--totals", default="", help="test questions per community")
    a = ap.parse_args()
    sig = a.signals.split(",")
    defaults = {"text": 1, "embedding": 2, "tags": 1, "activity": .5, "recency": .5}
    w0 = np.array([defaults.get(s, 0.0) for s in sig], dtype=float)
    hist, test = {}, {}
    for c in a.communities:
        for store, suffix, g, l in ((test, ".tsv", "question", "expert"),
                                     (hist, ".history.tsv", "example", "label")):
            try:
                names, groups = read(f"{a.prefix}.{c}{suffix}", g, l)
            except FileNotFoundError:
                continue
            idx = [names.index(s) for s in sig]
            store[c] = [(normalize(x[:, idx], a.norm), y) for x, y in groups]
    if a.weights:
        w = np.array([float(v) for v in a.weights.split(",")])
    else:
        pooled = [g for c in hist for g in hist[c]]
        w = fit(pooled, w0, a.l2) if pooled else w0
    print("weights", " ".join(f"{s}={v:.2f}" for s, v in zip(sig, w)))
    allt = []
    for c in a.communities:
        h = mrr(hist[c], w) if c in hist else (float("nan"),) * 2
        t = mrr(test[c], w) if c in test else (float("nan"),) * 2
        allt += test.get(c, [])
        print(f"{c:12s} history MRR {h[0]:.3f} P@1 {h[1]:.3f} | test MRR {t[0]:.3f} P@1 {t[1]:.3f}")
    t = mrr(allt, w)
    print(f"{'pooled':12s} test MRR {t[0]:.3f} P@1 {t[1]:.3f} (over {len(allt)})")


if __name__ == "__main__":
    main()
