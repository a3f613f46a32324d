#!/usr/bin/env bash
# Fetches the pinned ONNX Runtime shared library for this machine's
# architecture with the ordinary `pip download` client, checks the wheel's
# recorded SHA-256, and places libonnxruntime.so in runtime/ (git-ignored).
#
#   scripts/fetch-onnxruntime.sh          # no-op when the library is already there
#   scripts/fetch-onnxruntime.sh --force  # fetch again
#
# liyi finds the library there by itself; see README "ONNX Runtime".
set -euo pipefail

ORT_VERSION=1.31.1
# SHA-256 of the wheels on PyPI (cp311, manylinux_2_28).
declare -A WHEEL_SHA256=(
  [x86_64]=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
  [aarch64]=da05378364c44d4407e463982d2bf8d5e4cfea873283757e48beeb41df97b7f3
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/runtime"
lib="$dest/libonnxruntime.so.$ORT_VERSION"

if [[ "${1:-}" != "--force" && -f "$lib" && -f "$dest/.ok-$ORT_VERSION" ]]; then
  echo "ONNX Runtime $ORT_VERSION already in $dest"
  exit 0
fi

arch="$(uname -m)"
expected="${WHEEL_SHA256[$arch]:-}"
if [[ -z "$expected" ]]; then
  echo "error: no pinned onnxruntime wheel for architecture '$arch' (have: ${!WHEEL_SHA256[*]})." >&2
  echo "Fix: install a libonnxruntime.so >= 1.31 yourself and point ORT_DYLIB_PATH or --ort-lib at it." >&2
  exit 1
fi

python="$(command -v python3 || command -v python || true)"
if [[ -z "$python" ]]; then
  echo "error: python3 is needed to run 'pip download'. Fix: apt-get install -y python3 python3-pip" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "Fetching onnxruntime==$ORT_VERSION for $arch with pip download ..."
"$python" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
  --platform "manylinux_2_28_$arch" "onnxruntime==$ORT_VERSION" -d "$tmp"
wheel="$(ls "$tmp"/onnxruntime-"$ORT_VERSION"-*.whl)"
actual="$(sha256sum "$wheel" | cut -d' ' -f1)"
if [[ "$actual" != "$expected" ]]; then
  echo "error: $wheel has SHA-256 $actual, expected $expected. Refusing to use it." >&2
  exit 1
fi
"$python" -m zipfile -e "$wheel" "$tmp/x"
mkdir -p "$dest"
cp "$tmp/x/onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" "$lib.part"
mv "$lib.part" "$lib"
ln -sf "libonnxruntime.so.$ORT_VERSION" "$dest/libonnxruntime.so"
cp "$tmp/x/onnxruntime/LICENSE" "$dest/LICENSE.onnxruntime"
cp "$tmp/x/onnxruntime/ThirdPartyNotices.txt" "$dest/ThirdPartyNotices.onnxruntime.txt"
touch "$dest/.ok-$ORT_VERSION"
echo "ONNX Runtime $ORT_VERSION ($arch) is in $lib"
