#!/usr/bin/env bash
# Times every pose pipeline end to end in liyi (decode excluded: the figure
# is the whole-frame time liyi analyze reports) on the 12 reference images,
# with 1 and 2 ONNX Runtime threads. Needs ../shared for the images that the
# repository may not carry and for the opt-in YOLO model.
#
#   scripts/time-pipelines.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
shared="${LIYI_SHARED:-$root/../shared}"
liyi=target/release/liyi
images=("$shared"/fixtures/{bus.jpg,zidane.jpg,seated-group.jpg} tests/fixtures/astronaut.png tests/fixtures/street-walk/*.jpg)
yolo="$shared/models/pose/yolo11n-pose-dynamic.onnx"
run() { # label threads args...
  local label=$1 threads=$2; shift 2
  # The first image also warms the sessions up; it is left out of the mean.
  "$liyi" analyze --threads "$threads" "$@" "${images[0]}" "${images[@]}" 2>/dev/null |
    awk -v label="$label" -v t="$threads" '/ms in models\)$/ { n++; if (n > 1) { gsub(/[(,]/, " "); for (i = 1; i <= NF; i++) if ($(i+1) == "ms" && $(i+2) == "in") { inf += $i; tot += $(i-2) } } }
      END { printf "| %-32s | %d | %6.1f | %6.1f |\n", label, t, tot / (n - 1), inf / (n - 1) }'
}
echo "| pipeline | threads | ms/frame | ms in session.run |"
echo "|---|---|---|---|"
for t in 1 2; do
  [[ -f "$yolo" ]] && run "yolo11n-pose@640" $t --pose "$yolo"
  [[ -f "$yolo" ]] && run "yolo11n-pose@320" $t --pose "$yolo" --input-size 320
  for det in ped-ssdlite centernet-coco; do
    for pose in movenet-thunder movenet-lightning blazepose-full blazepose-lite; do
      run "$det+$pose" $t --detector $det --pose $pose
    done
  done
done
