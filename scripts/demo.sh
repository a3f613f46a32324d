#!/usr/bin/env bash
# The quick start's first command: sets up what liyi needs, builds it, and
# runs the main job on the embedded defaults, with no camera and no server:
#   1. pose analysis of the repository's own photos, with redacted drawings
#      (faces destroyed before anything is written) in out/demo/;
#   2. the etiquette rules over a simulated 20-minute keypoint trace of a
#      clerk at a window (no pixels), printing the events it finds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
cargo build --release --locked
liyi=./target/release/liyi
mkdir -p out/demo
echo "== 1. People and keypoints in photos (liyi analyze)"
"$liyi" analyze --draw out/demo tests/fixtures/astronaut.png tests/fixtures/street-walk
echo "   Redacted drawings: $root/out/demo/"
echo
echo "== 2. Etiquette rules over a simulated morning at window W01 (liyi simulate + liyi replay)"
"$liyi" simulate --scenario mixed_day --out out/demo/sim >/dev/null
"$liyi" check-config out/demo/sim/window.toml
"$liyi" replay --config out/demo/sim/window.toml out/demo/sim/trace.jsonl
echo "   Ground truth of the simulation: out/demo/sim/truth.jsonl"
