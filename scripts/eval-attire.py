#!/usr/bin/env python3
"""Measures the reference-based badge check on real photos (docs/accuracy.md).

Dataset: ../shared/datasets/Staff_Identification-nametag-overhead (no licence,
so it is read in place, never copied into the repository). Enrolment uses
the first N photos of each class from its train split, as a hall would
enrol a few photos; the val split is scored. "Positive" below means a
MISSING badge (what the rule flags).

    scripts/eval-attire.py [--per-class 8] [--person-crops]
                           [--badge-boxes | --no-patches]
                           [--seed S] [--liyi target/release/liyi]

--badge-boxes copies each enrolment photo's tag box (the dataset's YOLO
label) beside it, so the badge itself is matched (`enroll --badge-boxes`).
--seed S draws the enrolment photos at random instead of taking the first.
"""
import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "..", "shared", "datasets", "Staff_Identification-nametag-overhead")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-class", type=int, default=8)
    ap.add_argument("--liyi", default=os.path.join(ROOT, "target", "release", "liyi"))
    ap.add_argument("--person-crops", action="store_true", help="take the chest as a band of each crop instead of from keypoints")
    ap.add_argument("--badge-boxes", action="store_true", help="enrol with the tag boxes marked (badge patches)")
    ap.add_argument("--no-patches", action="store_true", help="whole-chest features only (enroll --no-patches)")
    ap.add_argument("--seed", type=int, help="draw the enrolment photos at random with this seed")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(os.path.join(DATA, "labels.csv"))))
    crops = [r for r in rows if r["path"].startswith("nametag_crops/")]
    train = [r for r in crops if "/train/" in r["path"]]
    val = [r for r in crops if "/val/" in r["path"]]
    tmp = tempfile.mkdtemp()
    try:
        for label, folder in [("name_tag_visible", "with"), ("no_name_tag_box", "without")]:
            os.makedirs(os.path.join(tmp, folder))
            pool = [r for r in train if r["label"] == label]
            if a.seed is not None:
                pool = random.Random(a.seed * 2 + (folder == "with")).sample(pool, len(pool))
            for r in pool[: a.per_class]:
                src = os.path.join(DATA, r["path"])
                shutil.copy(src, os.path.join(tmp, folder))
                if a.badge_boxes and folder == "with":
                    stem = os.path.splitext(os.path.basename(src))[0]
                    shutil.copy(os.path.join(os.path.dirname(src) + "_labels", stem + ".txt"), os.path.join(tmp, folder, stem + ".txt"))
        ref = os.path.join(tmp, "badge.json")
        crops = ["--person-crops"] if a.person_crops else []
        out = subprocess.run([a.liyi, "attire"] + crops + ["enroll", "--with", os.path.join(tmp, "with"), "--without", os.path.join(tmp, "without"), "--out", ref] + (["--badge-boxes"] if a.badge_boxes else []) + (["--no-patches"] if a.no_patches else []), capture_output=True, text=True)
        print(out.stdout.strip(), out.stderr.strip(), sep="\n")
        if out.returncode != 0:
            sys.exit(1)
        res = subprocess.run([a.liyi, "attire"] + crops + ["check", "--json", "--reference", ref] + [os.path.join(DATA, r["path"]) for r in val], capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr)
            sys.exit(1)
        best = {}
        for line in res.stdout.splitlines():
            o = json.loads(line)
            p = os.path.normpath(o["path"])
            # One person per crop: keep the judged one with the clearest verdict.
            prev = best.get(p)
            if prev is None or (prev["score"] is None and o["score"] is not None):
                best[p] = o
        tp = fp = fn = tn = unknown = 0
        for r in val:
            o = best.get(os.path.normpath(os.path.join(DATA, r["path"])))
            missing_truth = r["label"] == "no_name_tag_box"
            if o is None or o["score"] is None:
                unknown += 1
                continue
            flagged = o["score"] < 0.5
            if flagged and missing_truth:
                tp += 1
            elif flagged:
                fp += 1
            elif missing_truth:
                fn += 1
            else:
                tn += 1
        judged = tp + fp + fn + tn
        print(f"val photos: {len(val)} ({sum(r['label'] == 'name_tag_visible' for r in val)} with a tag, {sum(r['label'] == 'no_name_tag_box' for r in val)} without)")
        print(f"unknown: {unknown} ({unknown / len(val):.0%})")
        print(f"judged: {judged}: missing-badge flags TP {tp} FP {fp} FN {fn} TN {tn}")
        if judged:
            prec = tp / (tp + fp) if tp + fp else float("nan")
            rec = tp / (tp + fn) if tp + fn else float("nan")
            tnr = tn / (tn + fp) if tn + fp else float("nan")
            print(f"precision {prec:.2f} recall {rec:.2f} accuracy {(tp + tn) / judged:.2f} balanced accuracy {(rec + tnr) / 2:.2f}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
