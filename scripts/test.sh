#!/usr/bin/env bash
# The quick start's second command, and what CI runs: sets up what the tests
# need, then runs every test (unit, integration against the real binary and
# real models, reference parity) in release mode, which shares its build with
# scripts/demo.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/setup.sh --test
cargo test --release --locked "$@"
