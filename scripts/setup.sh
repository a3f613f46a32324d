#!/usr/bin/env bash
# Installs what liyi needs on a fresh machine, idempotently:
#   - Debian packages, installed only when missing: FFmpeg's development
#     libraries and libclang (ffmpeg-next generates its bindings at build
#     time), and the ffmpeg command-line tools for tests;
#   - the pinned ONNX Runtime shared library (scripts/fetch-onnxruntime.sh).
# Called by scripts/demo.sh, scripts/test.sh and .ci/run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DEBIAN_PACKAGES=(
  pkg-config libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libavfilter-dev libavdevice-dev libswresample-dev
  ffmpeg
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

"$root/scripts/fetch-onnxruntime.sh"
