#!/usr/bin/env python3
"""Why the greeting rule missed what it missed on the project's simulator.

    cargo build --release --examples
    python3 scripts/greeting-misses.py --family tuning --windows 600

For every missed `not_standing_to_greet` event that `accuracy_sim --list`
prints, it reads the window with `accuracy_sim --debug W --at T` and sorts
the miss by what the rules saw of the clerk over the truth event's first
30 s (the rule's own wait is 10 s), in the rows the debug output prints:
every other frame, so about one a second at 2 fps:

- hidden:   the clerk was not found in more than half the rows (in the
            window read frame by frame, a visitor standing in front hid the
            seated clerk from the camera; the rule then says unknown);
- standing: seated, but read as standing in more than two rows (most often
            the chair rolled back: further from a raised camera the shoulders
            lie higher in the image);
- unknown:  seen, but neither sitting nor standing in more than three rows;
- other:    mostly seen sitting, yet no event (a visitor at the counter not
            found there, a frame read as standing at the visit's start, ...).

Only the tuning family should be read this way while choosing thresholds.
"""
import argparse
import collections
import re
import subprocess
import sys
from pathlib import Path

ROW = re.compile(r"\s*([\d.]+) \S+\s.*present (\w+) (Some\(\w+\)|None)")
TRUTH = re.compile(r"truth\s+not_standing_to_greet\s+([\d.]+) → +([\d.]+)")


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
        # The truth event the miss is: `--list` prints its start, rounded.
        ends = [float(t.group(2)) for t in map(TRUTH.match, out.splitlines()) if t and abs(float(t.group(1)) - at) <= 1.0]
        if not ends:
            sys.exit(f"w{w}: no greeting truth event at {at:.0f} s in the debug output. Fix: rebuild the examples (cargo build --release --examples)")
        end = min(ends[0], at + 30)
        counts = collections.Counter()
        for line in out.splitlines():
            r = ROW.match(line)
            if r and at <= float(r.group(1)) <= end:
                counts[(r.group(2), r.group(3))] += 1
        n = sum(counts.values())
        if n == 0:
            sys.exit(f"w{w}: no observation rows read around {at:.0f} s. Fix: check that ROW matches accuracy_sim's --debug rows")
        kind = classify(counts, n)
        classes[kind] += 1
        print(f"w{w} at {at:.0f} in {form}: {kind} {dict(counts)}")
    print(f"\n{len(misses)} missed greetings: " + ", ".join(f"{k} {v}" for k, v in classes.most_common()))


if __name__ == "__main__":
    main()
