#!/usr/bin/env bash
# Hub load, measured (a benchmark, never a test). Starts a hub on the
# given store (two replicas on PostgreSQL, one on SQLite), registers BOXES
# boxes, and runs examples/hub_load.rs: every box sends WINDOWS windows x
# MINUTES minutes of rows, in batches, as fast as the hub takes them. Then
# times the day's summary for all halls and for one hall.
#
#   scripts/bench-hub.sh postgres   # two replicas on a fresh PostgreSQL database
#   scripts/bench-hub.sh sqlite     # one hub on an SQLite file
#   BOXES=100 WINDOWS=50 MINUTES=480 scripts/bench-hub.sh postgres   # the province day (2.4 M rows)
#
# PostgreSQL: PGURL (default postgres://postgres@127.0.0.1:5432) must allow
# CREATE DATABASE; the bench database is dropped at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
engine="${1:-postgres}"
BOXES="${BOXES:-20}" WINDOWS="${WINDOWS:-10}" MINUTES="${MINUTES:-480}" BATCH="${BATCH:-60}" CONC="${CONC:-8}"
PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
cargo build --release --quiet --bin liyi --example hub_load
bin="${CARGO_TARGET_DIR:-target}/release/liyi"
load="${CARGO_TARGET_DIR:-target}/release/examples/hub_load"
work="$(mktemp -d)"
pids=()
db="liyi_bench_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ "$engine" == postgres ]]; then psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
store=""
if [[ "$engine" == postgres ]]; then
  psql "$PGURL/postgres" -qc "CREATE DATABASE $db" >/dev/null
  store=$'\n[store]\nurl = "'"$PGURL/$db"$'"\n'
fi
day="$(date -d '2 days ago' +%F)"
replicas=1; [[ "$engine" == postgres ]] && replicas=2
urls=()
for r in $(seq 1 "$replicas"); do
  port=$((18800 + r + ($$ % 500)))
  mkdir -p "$work/r$r"
  printf 'listen = "127.0.0.1:%s"\ndata_dir = "%s/data"\npublic_url = "http://127.0.0.1:%s"\ntimezone = "Asia/Shanghai"\n%s' \
    "$port" "$work" "$port" "$store" > "$work/r$r/hub.toml"
  urls+=("http://127.0.0.1:$port")
done
: > "$work/tokens.txt"
for b in $(seq 1 "$BOXES"); do
  "$bin" hub --config "$work/r1/hub.toml" box-add "box$b" --hall "hall$(( (b - 1) % 10 + 1 ))" >> "$work/tokens.txt" 2>/dev/null
done
for r in $(seq 1 "$replicas"); do
  "$bin" hub --config "$work/r$r/hub.toml" 2>"$work/r$r/log" & pids+=($!)
done
for u in "${urls[@]}"; do
  for _ in $(seq 1 100); do curl -sf "$u/healthz" >/dev/null && break; sleep 0.2; done
done
echo "== $engine, $replicas hub process(es), $BOXES boxes x $WINDOWS windows x $MINUTES minutes, batches of $BATCH, $CONC at once"
"$load" --urls "$(IFS=,; echo "${urls[*]}")" --tokens "$work/tokens.txt" --day "$day" --windows "$WINDOWS" --minutes "$MINUTES" \
  --batch "$BATCH" --concurrency "$CONC"
rss=$(for p in "${pids[@]}"; do ps -o rss= -p "$p"; done | paste -sd+ | bc)
echo "hub RSS after the load: $((rss / 1024)) MB (all processes)"
for scope in "" "--hall hall1"; do
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$bin" report --config "$work/r1/hub.toml" --date "$day" --format json $scope > "$work/summary.json"
  t1=$(date +%s.%N)
  printf 'summary of %s (%s): %.2f s, %s bytes\n' "$day" "${scope:-all halls}" "$(echo "$t1 - $t0" | bc)" "$(wc -c < "$work/summary.json")"
done
