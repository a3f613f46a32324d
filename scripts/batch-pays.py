#!/usr/bin/env python3
"""Does batching crops across windows in one `session.run` pay on this CPU?

    python3 scripts/batch-pays.py models/detect/centernet-coco.onnx 512,512,3 BatchGather
    python3 scripts/batch-pays.py models/pose/movenet-thunder.onnx 256,256,3 GatherNd

The shipped CenterNet and MoveNet graphs fix the batch at 1: their decoding
heads gather with batch-1 indices, so a batch of two fails even with the
input made dynamic. This script cuts each graph just before the head (the
first node whose name holds CUT; the convolutional backbone, where nearly
all the time goes), makes the batch dimension free, checks that a batch of
two gives each image the same output as one at a time, and times batch 1
against batch 2 with one intra-op thread (as the agent's workers run), three
rounds. Needs `pip install onnx onnxruntime numpy`. Measures only; nothing
here is shipped.
"""
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

path, shape, cut = sys.argv[1], tuple(map(int, sys.argv[2].split(","))), sys.argv[3]
model = onnx.load(path)
inits = {i.name for i in model.graph.initializer}
producer = {o: n for n in model.graph.node for o in n.output}

# The activations the head reads, walked back to the backbone's last
# convolution outputs.
heads = set()
for n in model.graph.node:
    if cut in n.name:
        for i in n.input:
            if i in producer and cut not in producer[i].name and i not in inits:
                heads.add(i)
outs = set()


def up(t, depth=0):
    n = producer.get(t)
    if n is None or depth > 30:
        return
    kinds = [producer[i].op_type for i in n.input if i in producer] + [n.op_type]
    if n.op_type in ("Conv", "Add", "Relu", "Clip", "Sigmoid", "Mul") and "Conv" in kinds:
        outs.add(t)
        return
    for i in n.input:
        if i in producer:
            up(i, depth + 1)


for h in heads:
    up(h)
if not outs:
    sys.exit(f"no node named with {cut!r} reads a convolution's output within 30 steps: pick another CUT")
print("backbone ends at", sorted(outs))
onnx.utils.extract_model(path, "/tmp/batch-pays-backbone.onnx", [model.graph.input[0].name], sorted(outs))
sub = onnx.load("/tmp/batch-pays-backbone.onnx")
for t in list(sub.graph.input) + list(sub.graph.output):
    d = t.type.tensor_type.shape.dim
    if len(d) and d[0].dim_value == 1:
        d[0].dim_param = "N"
for n in sub.graph.node:
    if n.op_type == "Reshape":
        for i in sub.graph.initializer:
            if i.name == n.input[1]:
                a = numpy_helper.to_array(i).copy()
                if a[0] == 1 and -1 not in a:
                    a[0] = -1
                    i.CopyFrom(numpy_helper.from_array(a, i.name))
del sub.graph.value_info[:]

so = ort.SessionOptions()
so.intra_op_num_threads = 1
so.inter_op_num_threads = 1
so.enable_mem_pattern = False
backbone = ort.InferenceSession(sub.SerializeToString(), so, providers=["CPUExecutionProvider"])
full = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
name = backbone.get_inputs()[0].name
kind = backbone.get_inputs()[0].type
dtype = {"tensor(float)": np.float32, "tensor(int32)": np.int32, "tensor(uint8)": np.uint8}.get(kind)
if dtype is None:
    sys.exit(f"input type {kind} is not handled")
rng = np.random.default_rng(1)
xa = (rng.random((1, *shape)) * 255).astype(dtype)
xb = (rng.random((1, *shape)) * 255).astype(dtype)
x1 = xa
x2 = np.concatenate([xa, xb])
# Two different images: each must get, inside the batch, what it gets alone.
alone = [backbone.run(None, {name: x}) for x in (xa, xb)]
both = backbone.run(None, {name: x2})
same = all(
    np.allclose(alone[i][o][0], both[o][i], atol=1e-3) for i in range(2) for o in range(len(both))
)
print("a batch of two gives each image its own output:", same)
if not same:
    sys.exit("the cut graph mixes images across the batch: its timing would mean nothing")
full.run(None, {name: x1})  # warm, as the backbone is by the check above
for _ in range(3):
    for n, x, s, what in ((1, x1, full, "whole model"), (1, x1, backbone, "backbone"), (2, x2, backbone, "backbone")):
        reps = 10
        t = time.perf_counter()
        for _ in range(reps):
            s.run(None, {name: x})
        d = (time.perf_counter() - t) / reps
        print(f"{what} batch {n}: {d * 1000:.1f} ms per run, {d * 1000 / n:.1f} ms per image", flush=True)
