#!/usr/bin/python3
"""Offline study of new evidence for the fusion (docs/ranking.md, issue 12).

Reads what `whoknows eval stackexchange DUMP... --features-tsv F.tsv` writes
(learning on, so F.<community>.history.tsv is there too, with each example's
question, candidate and cut-off) and joins features computed from the dump
itself, each from what existed before the example's cut-off only (the
replayed fold's first question for history, the first test question for the
test split):

  votes     log(1 + net votes cast before the cut-off on p's answers)
  votemean  log((net votes + 3) / (answers + 3)): quality per answer
  accrate   (answers accepted before the cut-off + 1.5) / (answers + 5)
  asker     log(1 + p's answers to this asker's earlier questions)
  hour      log(P(question's hour +-1 | p's posts and comments, smoothed
            with 10 pseudo-posts at the community's rate) / community rate)
  wday      the same for the weekday (no window, 7 pseudo-posts)
  anssim    answers to the 30 past questions most similar by text and tags
            jointly (tf-idf cosine x (0.5 + tag Jaccard)), accepted 1,
            other 0.5, log(share of the best + 0.01)
  cmtsim    the same crediting who commented in those threads

  scripts/evidence_study.py loss PREFIX [community...]
  scripts/evidence_study.py features PREFIX [community...] [--only a,b]

`loss`: per community, candidate recall (is the accepted answerer among the
candidates at all; if not, did they post or comment before the cut-off), the
expert's rank under the default weights, and by how much each signal put the
people ranked above the expert there. `features`: each new feature added to
the default weights with its weight fitted on the pooled history alone
(conditional-logit likelihood, a grid from -1 to 3; `--mrr-grid` picks the
weight by history MRR instead), history and test MRR / P@1 pooled and per
community; then all of them at once (Newton, L2 1 towards 0). The test
split is printed for the record: choose on history.
Needs numpy (Debian: python3-numpy; run with /usr/bin/python3).
"""
import argparse
import calendar
import collections
import html
import math
import os
import re
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from topic_study import fit  # noqa: E402

DATASETS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "../../shared/datasets")
DEFAULTS = {"text": 1, "embedding": 2, "tags": 1, "activity": 0,
            "recency": 1, "authority": 0, "proximity": 0, "recent": 0.75}
COMMUNITIES = ["beer", "apple.meta", "dba.meta", "iot", "italian"]
NEW = ["votes", "votemean", "accrate", "asker", "hour", "wday", "anssim",
       "cmtsim"]
WORD = re.compile(r"\w{3,}", re.U)


def unix(s):
    return calendar.timegm(time.strptime(s.split(".")[0], "%Y-%m-%dT%H:%M:%S"))


def rows(path):
    for _, e in ET.iterparse(path):
        if e.tag == "row":
            yield dict(e.attrib)
        e.clear()


def words(text):
    return WORD.findall(html.unescape(re.sub(r"<[^>]+>", " ", text)).lower())


def person(r, id_key, name_key):
    if r.get(id_key):
        return r[id_key]
    return "name:" + r[name_key] if r.get(name_key) else None


class Dump:
    def __init__(self, community, datasets):
        d = f"{datasets}/{community}.stackexchange.com"
        self.posts = {}
        for r in rows(f"{d}/Posts.xml"):
            tags = r.get("Tags", "")
            q = r["PostTypeId"] == "1"
            self.posts[r["Id"]] = dict(
                kind=r["PostTypeId"], parent=r.get("ParentId"),
                owner=person(r, "OwnerUserId", "OwnerDisplayName"),
                t=unix(r["CreationDate"]), accepted=r.get("AcceptedAnswerId"),
                tags=set(re.findall(r"<([^>]+)>", tags) or
                         re.findall(r"\|([^|]+)", tags)),
                words=words(r.get("Title", "") + " " + r.get("Body", ""))
                if q else None)
        self.votes = collections.defaultdict(list)
        for r in rows(f"{d}/Votes.xml"):
            self.votes[r["PostId"]].append((unix(r["CreationDate"]),
                                            r["VoteTypeId"]))
        self.comments = []
        for r in rows(f"{d}/Comments.xml"):
            u = person(r, "UserId", "UserDisplayName")
            if u:
                self.comments.append((r["PostId"], u, unix(r["CreationDate"])))
        self.states = {}

    def thread(self, post):
        p = self.posts.get(post)
        if not p:
            return None
        return post if p["kind"] == "1" else p["parent"]

    def state(self, cut):
        """What the community had before `cut`, for the features."""
        if cut in self.states:
            return self.states[cut]
        s = dict(votes=collections.Counter(), answers=collections.Counter(),
                 accepted=collections.Counter(), asker=collections.Counter(),
                 hours=collections.defaultdict(lambda: np.zeros(24)),
                 days=collections.defaultdict(lambda: np.zeros(7)),
                 all_hours=np.zeros(24), all_days=np.zeros(7),
                 answerers=collections.defaultdict(list),
                 commenters=collections.defaultdict(set))

        def active(u, t):
            h, d = (t // 3600) % 24, (t // 86400 + 3) % 7  # 0 = Monday
            s["hours"][u][h] += 1
            s["days"][u][d] += 1
            s["all_hours"][h] += 1
            s["all_days"][d] += 1

        for pid, p in self.posts.items():
            if p["t"] >= cut or not p["owner"]:
                continue
            active(p["owner"], p["t"])
            if p["kind"] != "2":
                continue
            u, q = p["owner"], self.posts.get(p["parent"])
            s["answers"][u] += 1
            v = self.votes.get(pid, ())
            net = sum(1 if ty == "2" else -1 for t, ty in v
                      if t < cut and ty in ("2", "3"))
            s["votes"][u] += max(net, 0)
            acc = bool(q and q["accepted"] == pid and
                       any(ty == "1" and t < cut for t, ty in v))
            s["accepted"][u] += acc
            if q and q["t"] < cut and q["owner"]:
                s["asker"][(u, q["owner"])] += 1
                s["answerers"][p["parent"]].append((u, 1.0 if acc else 0.5))
        for post, u, t in self.comments:
            if t >= cut:
                continue
            active(u, t)
            th = self.thread(post)
            if th in self.posts and self.posts[th]["t"] < cut:
                s["commenters"][th].add(u)
        past = [q for q, p in self.posts.items()
                if p["kind"] == "1" and p["t"] < cut]
        df = collections.Counter()
        for q in past:
            df.update(set(self.posts[q]["words"]))
        idf = {w: math.log(len(past) / n) for w, n in df.items()}

        def vector(ws):
            v = {w: (1 + math.log(c)) * idf.get(w, 0)
                 for w, c in collections.Counter(ws).items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1
            return {w: x / norm for w, x in v.items()}

        s["vector"] = vector
        s["past"] = {q: vector(self.posts[q]["words"]) for q in past}
        self.states[cut] = s
        return s

    def similar_credit(self, s, qid):
        q = self.posts[qid]
        qv = s["vector"](q["words"])
        sims = []
        for pq, v in s["past"].items():
            cos = sum(x * v.get(w, 0) for w, x in qv.items())
            if pq == qid or cos <= 0:
                continue
            tags = self.posts[pq]["tags"]
            jaccard = len(tags & q["tags"]) / max(1, len(tags | q["tags"]))
            sims.append((cos * (0.5 + jaccard), pq))
        sims.sort(reverse=True)
        answers, comments = collections.Counter(), collections.Counter()
        for sim, pq in sims[:30]:
            for u, role in s["answerers"].get(pq, ()):
                answers[u] += sim * role
            for u in s["commenters"].get(pq, ()):
                comments[u] += sim
        return answers, comments

    def features(self, qid, cut, people):
        s = self.state(cut)
        q = self.posts[qid]
        h, d = (q["t"] // 3600) % 24, (q["t"] // 86400 + 3) % 7
        window = [(h + k) % 24 for k in (-1, 0, 1)]
        base_h = (s["all_hours"] / s["all_hours"].sum())[window].sum()
        base_d = s["all_days"][d] / s["all_days"].sum()
        answers, comments = self.similar_credit(s, qid)
        best_a = max(answers.values(), default=0) or 1
        best_c = max(comments.values(), default=0) or 1
        out = []
        for p in people:
            n = s["answers"][p]
            hours, days = s["hours"][p], s["days"][p]
            out.append([
                math.log1p(s["votes"][p]),
                math.log((s["votes"][p] + 3.0) / (n + 3)),
                (s["accepted"][p] + 1.5) / (n + 5),
                math.log1p(s["asker"][(p, q["owner"])]),
                math.log((hours[window].sum() + 10 * base_h) /
                         (hours.sum() + 10) / base_h),
                math.log((days[d] + 7 * base_d) / (days.sum() + 7) / base_d),
                math.log(answers[p] / best_a + 0.01),
                math.log(comments[p] / best_c + 0.01)])
        return out


def read_tsv(path, history):
    """Groups of (question, cut-off or None, people, labels, features)."""
    groups = collections.OrderedDict()
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        first = header.index("text")
        col = {k: header.index(k) for k in header[:first]}
        group = col["example" if history else "question"]
        label = col["label" if history else "expert"]
        for line in f:
            r = line.rstrip("\n").split("\t")
            g = groups.setdefault(r[group], dict(
                q=r[col["question"]],
                cut=int(r[col["cutoff"]]) if history else None,
                people=[], y=[], x=[]))
            g["people"].append(r[col["person"]])
            g["y"].append(int(r[label]))
            g["x"].append([float(v) for v in r[first:]])
    return header[first:], list(groups.values())


def load(prefix, community, dump, history):
    suffix = ".history.tsv" if history else ".tsv"
    names, groups = read_tsv(f"{prefix}.{community}{suffix}", history)
    test_cut = None if history else min(dump.posts[g["q"]]["t"] for g in groups)
    out = []
    for g in groups:
        extra = dump.features(g["q"], g["cut"] or test_cut, g["people"])
        out.append((np.hstack([np.array(g["x"]), np.array(extra)]),
                    np.array(g["y"]), g))
    return names + NEW, out


def mrr(groups, w):
    total, first = 0.0, 0
    for x, y, _ in groups:
        if y.sum() == 0:
            continue
        s = x @ w
        rank = (s >= s[y == 1].max()).sum()  # ties count against the label
        total += 1 / rank
        first += rank == 1
    return total / len(groups), first / len(groups)


def likelihood(groups, w):
    ll = 0.0
    for x, y, _ in groups:
        if y.sum() == 0 or len(y) < 2:
            continue
        s = x @ w
        top = s.max()
        ll += s[y == 1].max() - top - math.log(np.exp(s - top).sum())
    return ll


def report(label, w, hist, test, communities):
    pooled = lambda d: [g for c in communities for g in d[c]]  # noqa: E731
    h, t = mrr(pooled(hist), w), mrr(pooled(test), w)
    per_h = " ".join(f"{mrr(hist[c], w)[0]:.3f}" for c in communities)
    per_t = " ".join(f"{mrr(test[c], w)[0]:.3f}" for c in communities)
    print(f"{label:24s} history {h[0]:.3f} / {h[1]:.3f} [{per_h}] | "
          f"test {t[0]:.3f} / {t[1]:.3f} [{per_t}]")


def study_features(names, hist, test, communities, only, by_mrr):
    w0 = np.array([DEFAULTS.get(n, 0.0) for n in names])
    pooled = [g for c in communities for g in hist[c]]
    print("communities:", " ".join(communities))
    report("defaults", w0, hist, test, communities)
    grid = np.round(np.arange(-1, 3.001, 0.05), 2)
    for f in only:
        j = names.index(f)

        def with_weight(v):
            w = w0.copy()
            w[j] = v
            return w
        if by_mrr:
            v = max(grid, key=lambda v: (mrr(pooled, with_weight(v))[0], -abs(v)))
        else:
            v = max(grid, key=lambda v: likelihood(pooled, with_weight(v)))
        report(f"+{f} ({v:+.2f})", with_weight(v), hist, test, communities)
    # All new features at once: the defaults as one fixed offset column.
    idx = [names.index(f) for f in only]
    fixed = w0.copy()
    fixed[idx] = 0
    reduced = [(np.hstack([(x @ fixed)[:, None], x[:, idx]]), y)
               for x, y, _ in pooled]
    v = fit(reduced, np.zeros(len(idx) + 1), 1.0)
    w = fixed * v[0]
    w[idx] = v[1:]
    print("jointly:", " ".join(f"{names[i]}={w[i]:+.2f}" for i in idx),
          f"(defaults x {v[0]:.2f})")
    report("all new, jointly", w, hist, test, communities)


def study_loss(names, test, dumps, communities):
    w0 = np.array([DEFAULTS.get(n, 0.0) for n in names])
    on = [i for i, n in enumerate(names) if w0[i] != 0]
    for c in communities:
        dump, groups = dumps[c], test[c]
        cut = min(dump.posts[g["q"]]["t"] for _, _, g in groups)
        before = collections.Counter(p["owner"] for p in dump.posts.values()
                                     if p["t"] < cut)
        commented = collections.Counter(u for _, u, t in dump.comments
                                        if t < cut)
        ranks, why, margins = collections.Counter(), collections.Counter(), []
        for x, y, g in groups:
            if y.sum() == 0:
                q = dump.posts[g["q"]]
                expert = dump.posts[q["accepted"]]["owner"]
                why["posted before" if before[expert] else
                    "commented before" if commented[expert] else
                    "nothing before the cut-off"] += 1
                continue
            s = x @ w0
            e = int(np.argmax(y))
            rank = int((s > s[e]).sum()) + 1
            ranks["1" if rank == 1 else "2-5" if rank <= 5 else
                  "6-20" if rank <= 20 else ">20"] += 1
            above = s > s[e]
            if above.any():
                margins.append(((x[above] - x[e]) * w0).mean(axis=0))
        found = sum(ranks.values())
        print(f"{c}: {len(groups)} questions, expert a candidate in {found}; "
              f"not a candidate: {dict(why)}; expert's rank: {dict(ranks)}")
        if margins:
            m = np.mean(margins, axis=0)
            print("   mean weighted lead of those ranked above the expert:",
                  " ".join(f"{names[i]} {m[i]:+.2f}" for i in on))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["loss", "features"])
    ap.add_argument("prefix")
    ap.add_argument("communities", nargs="*", default=COMMUNITIES)
    ap.add_argument("--datasets", default=DATASETS)
    ap.add_argument("--only", default=",".join(NEW))
    ap.add_argument("--mrr-grid", action="store_true")
    a = ap.parse_args()
    hist, test, dumps, names = {}, {}, {}, None
    for c in a.communities:
        dumps[c] = Dump(c, a.datasets)
        names, test[c] = load(a.prefix, c, dumps[c], False)
        if a.mode == "features":
            names, hist[c] = load(a.prefix, c, dumps[c], True)
    if a.mode == "loss":
        study_loss(names, test, dumps, a.communities)
    else:
        study_features(names, hist, test, a.communities, a.only.split(","),
                       a.mrr_grid)


if __name__ == "__main__":
    main()
