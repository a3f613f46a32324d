#!/usr/bin/env python3
"""Why the greeting rule missed what it missed on the project's simulator.

    cargo build --release --examples
    python3 scripts/greeting-misses.py --family tuning --windows 600

For every missed `not_standing_to_greet` event that `accuracy_sim --list`
prints, it reads the window with `accuracy_sim --debug W --at T` and sorts
the miss by what the rules saw of the clerk over the first 30 s of the
visit (the rule's own wait is 10 s):

- hidden:   the clerk was not found in most frames (a visitor standing in
            front of a seated clerk hides them from a raised camera; the rule
            then says unknown, rightly, since it cannot see whether the clerk
            rose);
- standing: seated, but read as standing in more than two frames (most often
            the chair rolled back: further from a raised camera the shoulders
            lie higher in the image);
- unknown:  seen, but neither sitting nor standing in more than three frames;
- other:    seen sitting throughout, yet no event (a visitor at the counter
            not found there, a standing frame just before the visit, ...).

Only the tuning family should be read this way while choosing thresholds.
"""
import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

ROW = re.compile(r"\s*([\d.]+) \S+\s.*present (\w+) (Some\(\w+\)|None)")


def classify(counts, n):
    if counts[("false", "None")] > n / 2:
        return "hidden"
    if counts[("true", "Some(Standing)")] > 2:
        return "standing"
    if counts[("true", "None")] > 3:
        return "unknown"
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--family", default="tuning")
    ap.add_argument("--windows", type=int, default=200)
    ap.add_argument("--sim", default=str(Path(__file__).resolve().parent.parent / "target/release/examples/accuracy_sim"))
    a = ap.parse_args()
    if not Path(a.sim).is_file():
        sys.exit(f"{a.sim}: not found. Fix: cargo build --release --examples")
    listing = subprocess.run([a.sim, "--family", a.family, "--windows", str(a.windows), "--cold", "--list"],
                             capture_output=True, text=True, check=True).stdout
    misses = [l.split() for l in listing.splitlines() if l.startswith("missed") and "not_standing_to_greet" in l]
    classes = collections.Counter()
    for m in misses:
        w, at, form = m[1][1:], float(m[4]), m[6]
        out = subprocess.run([a.sim, "--family", a.family, "--debug", w, "--cold", "--at", str(at)],
                             capture_output=True, text=True, check=True).stdout
        counts = collections.Counter()
        for line in out.splitlines():
            r = ROW.match(line)
            if r and at <= float(r.group(1)) <= at + 30:
                counts[(r.group(2), r.group(3))] += 1
        kind = classify(counts, sum(counts.values()))
        classes[kind] += 1
        print(f"w{w} at {at:.0f} in {form}: {kind} {dict(counts)}")
    print(f"\n{len(misses)} missed greetings: " + ", ".join(f"{k} {v}" for k, v in classes.most_common()))


if __name__ == "__main__":
    main()
