#!/usr/bin/env python3
"""Frees CenterNet's input size, so that an image keeps its aspect ratio.

    python3 scripts/centernet-any-size.py ../shared/models/detect/centernet-coco.onnx models/detect/centernet-coco.onnx

The converted graph (tf2onnx, from TFJS) fixes its input at 512 x 512 in two
places only: the input's declared shape, and its decoding head, which reads
box sizes with a `Reshape` to [16384, 4] (128 x 128 cells) and turns a
flat peak index into a cell with the constant heatmap width 128. The
backbone itself is fully convolutional. This script declares height and
width free, reshapes to [-1, 4] and reads the heatmap's width from the
heatmap's own shape. No weight changes: at 512 x 512 the output equals the
original's (checked below, within float rounding), and at any size whose
sides are multiples of 32 the head decodes the same way.

With `--input-size L`, Liyi then feeds the detector the image at its own
aspect ratio, long side L (docs/models.md, "Input at the image's own
shape"), rather than stretched to a square (still the default): more people found on the project's photos and on
classroom frames cropped the way a window's zones crop them, in about half
the time (docs/models.md, which also shows where it finds fewer).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HEAT = "tower_0/keypoints"  # [1, H/4, W/4, 80], after the sigmoid
WIDTH_CONST = "tower_0/strided_slice_6:0"  # int32 128, the heatmap's width
WH_SHAPE_CONST = "const_fold_opt__892"  # int64 [16384, 4]


def free(src, dst):
    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    for name, want in ((WIDTH_CONST, 128), (WH_SHAPE_CONST, [16384, 4])):
        if name not in inits or numpy_helper.to_array(inits[name]).tolist() != want:
            sys.exit(
                f"{src}: no constant {name} = {want}: not the converted CenterNet this script knows "
                "(already freed? pass ../shared/models/detect/centernet-coco.onnx)"
            )
    for d, n in zip(g.input[0].type.tensor_type.shape.dim[1:3], ("height", "width")):
        d.ClearField("dim_value")
        d.dim_param = n
    for o in g.output:
        if o.name in ("tower_0/wh", HEAT):
            for d, n in zip(o.type.tensor_type.shape.dim[1:3], ("height_4", "width_4")):
                d.ClearField("dim_value")
                d.dim_param = n
    new = [
        helper.make_node("Shape", [HEAT], ["liyi/heat_dims"], name="liyi/heat_dims"),
        helper.make_node("Gather", ["liyi/heat_dims", "liyi/axis_2"], ["liyi/heat_width64"], name="liyi/heat_width64", axis=0),
        helper.make_node("Cast", ["liyi/heat_width64"], ["liyi/heat_width"], name="liyi/heat_width", to=TensorProto.INT32),
    ]
    at = next(k for k, n in enumerate(g.node) if HEAT in n.output) + 1
    for k, n in enumerate(new):
        g.node.insert(at + k, n)
    rewired = 0
    for n in g.node:
        for k, i in enumerate(n.input):
            if i == WIDTH_CONST:
                n.input[k] = "liyi/heat_width"
                rewired += 1
            elif i == WH_SHAPE_CONST:
                n.input[k] = "liyi/any_by_4"
                rewired += 1
    if rewired != 3:
        sys.exit(f"{src}: expected 3 uses of the fixed constants, found {rewired}")
    g.initializer.remove(inits[WIDTH_CONST])
    g.initializer.remove(inits[WH_SHAPE_CONST])
    g.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), "liyi/axis_2"))
    g.initializer.append(numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "liyi/any_by_4"))
    onnx.checker.check_model(m)
    onnx.save(m, dst + ".tmp")


def check(src, dst):
    import onnxruntime as ort

    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    a = ort.InferenceSession(src, o, providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(dst + ".tmp", o, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).uniform(0, 255, (1, 512, 512, 3)).astype(np.float32)
    ra = a.run(["tower_0/detections"], {"tower_0/images:0": x})[0]
    rb = b.run(["tower_0/detections"], {"tower_0/images:0": x})[0]
    if not np.allclose(ra, rb, atol=1e-2, rtol=1e-4):
        sys.exit(f"at 512 x 512 the outputs differ by up to {np.abs(ra - rb).max()}")
    y = b.run(["tower_0/detections"], {"tower_0/images:0": x[:, :288, :, :]})[0]
    assert y.shape == (1, 100, 6), y.shape
    print(f"{dst}: at 512 x 512 within {np.abs(ra - rb).max():.2g} of the original; 512 x 288 decodes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    import os

    free(sys.argv[1], sys.argv[2])
    try:
        check(sys.argv[1], sys.argv[2])  # exits, leaving DST untouched, if they differ
    except BaseException:
        os.remove(sys.argv[2] + ".tmp")
        raise
    os.replace(sys.argv[2] + ".tmp", sys.argv[2])
