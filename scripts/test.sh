#!/usr/bin/env bash
# The quick start's second command, and what CI runs: sets up what the tests
# need, then runs every test (unit, integration against the real binary and
# real models, reference parity) in release mode, which shares its build with
# scripts/demo.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --test
# Formatting first (rustfmt.toml): a diff fails here, in a second, before
# the long build.
if ! cargo fmt --version >/dev/null 2>&1; then
  rustup component add rustfmt
fi
cargo fmt --check || { echo "cargo fmt --check failed: run cargo fmt and commit the result" >&2; exit 1; }
cargo test --release --locked "$@"
