#!/usr/bin/env bash
# Installs what liyi needs on a fresh machine, idempotently:
#   - Debian packages, installed only when missing: FFmpeg's development
#     libraries and libclang (ffmpeg-next generates its bindings at build
#     time), and the ffmpeg command-line tools for tests;
#   - the pinned ONNX Runtime shared library (scripts/fetch-onnxruntime.sh).
# With --test, also what the tests need: GStreamer's RTSP server and Python
# bindings (tests/rtsp.rs serves H.264 over RTSP on 127.0.0.1 with
# scripts/rtsp-server.py); for tests/hub.rs the SMTP sink (aiosmtpd),
# headless Chromium with CJK fonts, and playwright-core from npm
# (tests/browser, pinned by its package-lock.json).
# Called by scripts/demo.sh, and with --test by scripts/test.sh and .ci/run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

DEBIAN_PACKAGES=(
  pkg-config libclang-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libavfilter-dev libavdevice-dev libswresample-dev
  ffmpeg
)
if [[ ${1:-} == --test ]]; then
  DEBIAN_PACKAGES+=(
    python3-gi gir1.2-gst-rtsp-server-1.0
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
    python3-aiosmtpd chromium fonts-noto-cjk
  )
fi

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

if [[ ${1:-} == --test ]] && [[ ! -d "$root/tests/browser/node_modules/playwright-core" ]]; then
  echo "Installing playwright-core for the browser test (tests/browser)"
  npm ci --prefix "$root/tests/browser" --no-audit --no-fund --loglevel=error
fi
