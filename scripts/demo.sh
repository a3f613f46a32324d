#!/usr/bin/env bash
# The quick start's first command: sets up what liyi needs, builds it, and
# runs the main job on the embedded defaults — pose analysis of the
# repository's own photos, with redacted drawings in out/demo/.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh
cargo build --release --locked
mkdir -p out/demo
./target/release/liyi analyze --draw out/demo tests/fixtures/astronaut.png tests/fixtures/street-walk "$@"
echo
echo "Redacted drawings (faces destroyed before anything is written): $root/out/demo/"
