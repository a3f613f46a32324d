#!/usr/bin/env python3
"""Fits the head-on-desk cue model (src/rules/head_model.rs) on TUNING
sets only: the project's own family (`posture_dump`) and, with `--also`,
independent simulators' tuning sets dumped by
`scripts/indep-sim/dump_features.py`. The shipped model was fitted on the
project's family and the first independent simulator's seed 2 (the command
below). The report sets (the held-out, fresh and third families, the
fourth independent simulator, the fifth's seed 1) are never fitted on.

    cargo run --release --example posture_dump -- --windows 80 > /tmp/tuning.csv
    (cd scripts/indep-sim && python3 clerk_sim.py --windows 60 --minutes 60 --seed 2 --out /tmp/indepfit \
      && python3 dump_features.py --dir /tmp/indepfit --measures ../../target/release/examples/trace_measures > /tmp/indepfit.csv)
    python3 scripts/fit-posture.py /tmp/tuning.csv src/rules/head_model.rs --also /tmp/indepfit.csv

`--stride N` fits on every N-th seated frame of each dump (frames half a
second apart are nearly the same; 3 fits three times faster).
`--weight-own W` counts each frame of the project's family W times.
`--also` may be given once per independent tuning set (see
`scripts/indep-sim/dump_features.py` for which sets are tuning sets).
Without `--also` it fits on the project's family alone, as before
2026-12-05.

The model is a small gradient-boosted ensemble of depth-3 trees over the
cues of rules::posture::head_features (each measured against the clerk's
own baseline). It is checked on tuning windows it was not fitted on
(windows 60+ of the dump) and written out as Rust constants. The honest
figures are the held-out family's, in docs/accuracy.md. Needs numpy, pandas
and scikit-learn.
"""
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

# The project's forms, and the independent simulators' (`propped_hand`,
# `forehead_on_desk`).
HEAD_FORMS = {"folded_arms", "one_arm", "hand_prop", "forehead", "propped_hand", "forehead_on_desk"}


def head_features():
    """`posture::HEAD_FEATURES`, read from the source next to this script."""
    src = Path(__file__).resolve().parent.parent / "src" / "rules" / "posture.rs"
    m = re.search(r"pub const HEAD_FEATURES: usize = (\d+);", src.read_text())
    if not m:
        sys.exit(f"{src}: no HEAD_FEATURES constant")
    return int(m.group(1))


HEAD_FEATURES = head_features()
PARAMS = dict(n_estimators=120, max_depth=4, learning_rate=0.15, subsample=0.8, random_state=1)


def load(path, stride=1):
    d = pd.read_csv(path)
    d = d[d.posture == "Some(Sitting)"].copy()
    # Frames half a second apart say nearly the same; every `stride`-th
    # seated frame is enough and fits that many times faster.
    d = d.iloc[::stride].copy()
    # As many cues as the dump has, which must be as many as the rules
    # compute (`posture::HEAD_FEATURES`): a stale dump would give a model
    # that reads inputs the rules do not have.
    features = [c for c in d.columns if c[:1] == "f" and c[1:].isdigit()]
    if len(features) != HEAD_FEATURES:
        sys.exit(f"{path}: {len(features)} cue columns, but src/rules/posture.rs has HEAD_FEATURES = {HEAD_FEATURES}. "
                 "Fix: rebuild the examples and dump again")
    X = d[features].values.astype(np.float32)
    y = d.form.isin(HEAD_FORMS).values
    return d, X, y


def report(name, d, p, y):
    for th in (0.5, 0.7):
        pred = p >= th
        print(f"{name} p >= {th}: head-on-desk frames found {pred[y].mean():.3f}, other seated frames flagged {pred[~y].mean():.4f}")
    dd = d.assign(p=p)
    print("  median p by form:", dd.groupby("form").p.median().round(2).to_dict())


def rust(model, also):
    fitted_on = (f"the project's tuning family and independent simulators' tuning sets ({', '.join(also)})"
                 if also else "the tuning family only")
    lines = [
        "//! The head-on-desk cue model: gradient-boosted trees over",
        f"//! `posture::head_features`, fitted on {fitted_on} by",
        "//! `scripts/fit-posture.py` (generated; do not edit by hand).",
        "// Thresholds are fitted numbers; one near π/6 is not that constant.",
        "#![allow(clippy::approx_constant)]",
        "",
        "/// One tree node: feature (-1 for a leaf), threshold, left, right, value.",
        "pub type Node = (i8, f32, u16, u16, f32);",
        "",
        f"pub const INIT: f32 = {float(model.init_.class_prior_[1] if hasattr(model.init_, 'class_prior_') else 0):.6};",
    ]
    prior = model._raw_predict_init(np.zeros((1, model.n_features_in_), dtype=np.float32))[0][0]
    lines[-1] = f"pub const INIT: f32 = {prior:.6};"
    lines.append(f"pub const RATE: f32 = {model.learning_rate};")
    lines.append("pub const TREES: &[&[Node]] = &[")
    for est in model.estimators_[:, 0]:
        t = est.tree_
        nodes = []
        for i in range(t.node_count):
            f = int(t.feature[i]) if t.children_left[i] != -1 else -1
            thr = float(t.threshold[i]) if f >= 0 else 0.0
            left = int(t.children_left[i]) if f >= 0 else 0
            right = int(t.children_right[i]) if f >= 0 else 0
            nodes.append(f"({f}, {thr:.6}, {left}, {right}, {float(t.value[i][0][0]):.6})")
        lines.append("    &[" + ", ".join(nodes) + "],")
    lines.append("];")
    return "\n".join(lines) + "\n"


def main():
    args = sys.argv[1:]
    stride = 1
    if "--stride" in args:
        i = args.index("--stride")
        stride = int(args[i + 1])
        del args[i : i + 2]
        if stride < 1:
            sys.exit(f"--stride {stride}: must be 1 or more (every N-th seated frame)")
    weight_own = 1.0
    if "--weight-own" in args:
        i = args.index("--weight-own")
        weight_own = float(args[i + 1])
        del args[i : i + 2]
    also = []
    while "--also" in args:
        i = args.index("--also")
        also.append(args[i + 1])
        del args[i : i + 2]
    d, X, y = load(args[0], stride)
    fit = d.win.values < 60
    parts = [(args[0], X, y, fit, d)]
    for path in also:
        d2, X2, y2 = load(path, stride)
        # The first three quarters of its windows for the check fit.
        parts.append((path, X2, y2, d2.win.values < (d2.win.max() + 1) * 3 // 4, d2))
    # Each frame of the project's family counts `weight_own` times.
    weights = [np.full(len(p[2]), weight_own if i == 0 else 1.0) for i, p in enumerate(parts)]
    Xf = np.concatenate([p[1][p[3]] for p in parts])
    yf = np.concatenate([p[2][p[3]] for p in parts])
    wf = np.concatenate([w[p[3]] for w, p in zip(weights, parts)])
    check = GradientBoostingClassifier(**PARAMS).fit(Xf, yf, sample_weight=wf)
    for name, Xp, yp, fp, dp in parts:
        report(f"{name}, windows not fitted on:", dp[~fp], check.predict_proba(Xp[~fp])[:, 1], yp[~fp])
    model = GradientBoostingClassifier(**PARAMS).fit(
        np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]), sample_weight=np.concatenate(weights)
    )
    if len(args) > 1:
        names = [Path(a).stem for a in also]
        with open(args[1], "w") as f:
            f.write(rust(model, names))
        print("wrote", args[1])


if __name__ == "__main__":
    main()
