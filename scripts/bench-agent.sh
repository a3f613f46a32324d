#!/usr/bin/env bash
# How many windows `liyi run` sustains on this machine, and its memory.
#
#   scripts/bench-agent.sh WINDOWS [SECONDS] [extra liyi run flags, e.g. --no-motion-gate]
#
# Every window reads its own copy of a 1280x720 H.264 5 fps recording (a
# typical camera substream), made once from the shipped street video, looped;
# decoding is included. Prints the analysed frames per second per window (the
# target is the --fps rate, 2 by default), the inference load (inferred: the
# share of analysed frames that ran a model; detected: the share that ran
# the person detector, the rest of the inferred ones followed the clerk),
# and the peak resident memory (VmHWM) of the whole process.
#
# Windows do not play in step: window i starts ((i - 1) mod 15) x 2 s into
# the recording (the copies are cut at its keyframes, without re-encoding),
# as cameras in a hall see unrelated moments. BENCH_PHASE=same plays every
# window from the start, in lockstep (how figures before 2026-12-04's last
# round were measured): then every window needs the models on the same
# frames, and the load comes in bursts.
#
# BENCH_PRE_ROLL=SECONDS sets `[clips] pre_roll_s`. Longer than the quickest
# rule's onset (20 s by default), every analysed frame is prepared for a
# clip (face search, redaction, the pre-roll ring): the worst case, which
# the street scene otherwise never reaches because its rules stay idle.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
windows=${1:?usage: bench-agent.sh WINDOWS [SECONDS] [flags]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
# BENCH_LIYI=PATH runs another build (e.g. an older one, to compare).
liyi=${BENCH_LIYI:-target/release/liyi}
if [[ -z ${BENCH_LIYI:-} ]]; then
  # Always (a no-op when fresh): an older binary would print fewer columns.
  cargo build --release --locked --quiet
else
  # A build elsewhere looks for ONNX Runtime beside itself: lend it ours.
  export ORT_DYLIB_PATH=${ORT_DYLIB_PATH:-$root/runtime/libonnxruntime.so}
fi
work=target/bench-agent
mkdir -p "$work"
video="$work/cam-720p-5fps.mp4"
if [[ ! -f $video ]]; then
  # 30 s of the street scene at 1280x720, 5 fps, H.264 main profile without
  # B-frames and a 2 s GOP, the way hall cameras send their substreams.
  ffmpeg -v error -y -stream_loop 3 -i assets/street-walk.mp4 -an \
    -vf "scale=1280:720,fps=5" -c:v libx264 -profile:v main -bf 0 -g 10 -preset veryfast -t 30 "$video"
fi
config="$work/hall-$windows.toml"
{
  echo 'hall = "bench"'
  if [[ -n ${BENCH_PRE_ROLL:-} ]]; then
    printf '[clips]\npre_roll_s = %s\n' "$BENCH_PRE_ROLL"
  fi
  for i in $(seq -w 1 "$windows"); do
    offset=$(( (10#$i - 1) % 15 * 2 ))
    if [[ ${BENCH_PHASE:-} == same || $offset == 0 ]]; then
      ln -sf "cam-720p-5fps.mp4" "$work/cam$i.mp4"
    else
      phased="$work/cam-720p-5fps-from$offset.mp4"
      if [[ ! -f $phased ]]; then
        printf "file '%s'\ninpoint %d\nfile '%s'\noutpoint %d\n" "$root/$video" "$offset" "$root/$video" "$offset" >"$work/concat.txt"
        ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$work/concat.txt" -c copy "$phased.tmp.mp4"
        mv "$phased.tmp.mp4" "$phased"
      fi
      ln -sf "$(basename "$phased")" "$work/cam$i.mp4"
    fi
    cat <<EOF
[[window]]
id = "w$i"
source = "file:cam$i.mp4"
staff_zone = [[0.0, 0.3], [0.5, 0.3], [0.5, 1.0], [0.0, 1.0]]
counter_zone = [[0.5, 0.3], [1.0, 0.3], [1.0, 1.0], [0.5, 1.0]]
hours = ["00:00-23:59"]
EOF
  done
} >"$config"
rm -f "$work"/edge.sqlite*
SECONDS=0
"$liyi" run --config "$config" --store "$work/edge.sqlite" --loop-files --listen 127.0.0.1:0 \
  --seconds "$seconds" "$@" >"$work/out.txt" 2>"$work/err.txt" &
pid=$!
peak=0 rss=0
while kill -0 $pid 2>/dev/null; do
  read -r hwm now < <(awk '/VmHWM/ { h = $2 } /VmRSS/ { r = $2 } END { print h, r }' /proc/$pid/status 2>/dev/null || true)
  # Steady state: the resident size once the first half of the run is over.
  [[ -n ${hwm:-} ]] && peak=$hwm && (( SECONDS * 2 >= seconds )) && (( now > rss )) && rss=$now
  sleep 1
done
if ! wait $pid; then
  echo "bench-agent.sh: liyi run failed; its last words ($work/err.txt):" >&2
  tail -5 "$work/err.txt" >&2
  exit 1
fi
awk -v w="$windows" -v s="$seconds" -v peak="$peak" -v rss="$rss" '
  $1 ~ /^w[0-9]+$/ { n++; frames += $2; analysed += $3; gated += $4; stale += $5; followed += $7
                     split($8, f, "/"); fwhole += f[1]; fpart += f[2]; freused += f[3] }
  END {
    inferred = analysed - gated
    printf "windows=%d seconds=%d analysed/s/window=%.2f analysed/captured=%.0f%% inferred=%.0f%% detected=%.0f%% stale=%d faces(whole/part/reused)=%d/%d/%d rss=%.0f MB peak_rss=%.0f MB\n",
      w, s, analysed / n / s, 100 * analysed / frames, 100 * inferred / (analysed > 0 ? analysed : 1),
      100 * (inferred - followed) / (analysed > 0 ? analysed : 1), stale, fwhole, fpart, freused, rss / 1024, peak / 1024
  }' "$work/out.txt"
