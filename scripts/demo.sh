#!/usr/bin/env bash
# The quick start's first command: sets up what liyi needs, builds it, and
# runs the main job on the embedded defaults, with no camera and no server:
#   1. `liyi demo`: the real agent for about a minute on the sample video that
#      ships in assets/ (two demo windows), then the events and minute metrics
#      it stored;
#   2. pose analysis of the repository's own photos, with redacted drawings
#      (faces destroyed before anything is written) in out/demo/;
#   3. the etiquette rules over a simulated 20-minute trace of a clerk.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
cargo build --release --locked
liyi=./target/release/liyi
mkdir -p out/demo
echo "== 1. The agent on the sample video (liyi demo)"
"$liyi" demo --data-dir out/demo/agent
echo
echo "== 2. People and keypoints in photos (liyi analyze)"
"$liyi" analyze --draw out/demo tests/fixtures/astronaut.png tests/fixtures/street-walk
echo "   Redacted drawings: $root/out/demo/"
echo
echo "== 3. Etiquette rules over a simulated morning at window W01 (liyi simulate + liyi replay)"
"$liyi" simulate --scenario mixed_day --out out/demo/sim >/dev/null
"$liyi" replay --config out/demo/sim/window.toml out/demo/sim/trace.jsonl
echo "   Ground truth of the simulation: out/demo/sim/truth.jsonl"
