#!/usr/bin/env bash
# Liyi against a plain Python pipeline (scripts/python-peer.py: PyAV, numpy,
# onnxruntime) doing the same work on the same video, one after the other in
# one run: decode, keep frames at the analysis rate, CenterNet + MoveNet
# thunder on each kept frame, one ONNX Runtime thread. A benchmark, not a
# test. Needs `pip install av onnxruntime numpy pillow` for the peer.
#
#   scripts/peer-compare.sh [VIDEO] [FPS] [PASSES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${LIYI_SHARED:-$root/../shared}"
video="${1:-$shared/fixtures/street-walk.mp4}" fps="${2:-2}" passes="${3:-4}"
cargo build --release --quiet --example pipeline_peer
"${CARGO_TARGET_DIR:-target}/release/examples/pipeline_peer" "$video" --fps "$fps" --passes "$passes" 2>/dev/null
python3 scripts/python-peer.py "$video" --models "$root/models" --fps "$fps" --passes "$passes"
