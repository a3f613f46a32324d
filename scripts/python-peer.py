#!/usr/bin/env python3
"""A plain Python pipeline doing the same work as Liyi's per-frame analysis,
for issue 17's side-by-side figure: PyAV decodes the video, frames are kept
at the analysis rate, and each kept frame goes through the default pose
pipeline (CenterNet person boxes, then MoveNet thunder on each box's square
crop) with onnxruntime, one intra-op thread per session, as Liyi runs it.
Each step is done the obvious way (PIL images, numpy arrays); the model
input and output handling is the project's Python reference
(scripts/reference/pose_reference.py).

    python3 scripts/python-peer.py VIDEO --models DIR [--fps 2] [--passes 4]

Prints one line: frames decoded, frames analysed, wall seconds, analysed
frames per second, and the mean ms per analysed frame in decoding and in the
models. `scripts/peer-compare.sh` runs this and Liyi's example on the same
video and prints both.
"""

import argparse
import os
import sys
import time

import av

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
import pose_reference as ref  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("--models", required=True)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--passes", type=int, default=4)
    a = ap.parse_args()
    det = ref.session(os.path.join(a.models, ref.MODEL_FILES["centernet"]))
    pose = ref.session(os.path.join(a.models, ref.MODEL_FILES["movenet-thunder"]))
    make_det, det_out, det_post = ref.DETECTORS["centernet"]
    decoded = analysed = people = 0
    t_decode = t_models = 0.0
    start = time.perf_counter()
    for _ in range(a.passes):
        with av.open(a.video) as container:
            stream = container.streams.video[0]
            next_t = 0.0
            t0 = time.perf_counter()
            for frame in container.decode(stream):
                decoded += 1
                t = float(frame.pts * stream.time_base) if frame.pts is not None else next_t
                if t + 1e-6 < next_t:
                    continue
                next_t += 1.0 / a.fps
                img = frame.to_image()  # RGB, PIL
                t1 = time.perf_counter()
                t_decode += t1 - t0
                dets = det_post(det.run(det_out, make_det(img)), img.size)
                found = ref.top_down(img, dets, pose, "movenet-thunder")
                people += len(found)
                analysed += 1
                t0 = time.perf_counter()
                t_models += t0 - t1
            t_decode += time.perf_counter() - t0
    wall = time.perf_counter() - start
    print(
        f"python-peer: decoded {decoded}, analysed {analysed}, people {people}, {wall:.2f} s, "
        f"{analysed / wall:.2f} analysed frames/s, decode {1000 * t_decode / analysed:.1f} ms/analysed frame, "
        f"models {1000 * t_models / analysed:.1f} ms/analysed frame"
    )


if __name__ == "__main__":
    main()
