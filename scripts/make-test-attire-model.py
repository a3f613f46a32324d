#!/usr/bin/env python3
"""Writes tests/fixtures/attire/tiny-attire.onnx and its manifest: a tiny,
real ONNX classifier for the attire model slot's contract test (not a useful
detector). It averages the RGB input (0..1) over the crop and maps the mean
colour to four classes: badge, no_badge, uniform_ok, uniform_off.

    logits = W @ mean_rgb + b, softmax → probs [1, 4]

With W below, a bright (white card) crop favours `badge`, a dark one
`no_badge`; a blue crop favours `uniform_ok`, a red one `uniform_off`.

Needs the `onnx` package (pip install onnx==1.17.0 numpy).
"""
import hashlib
import os

import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "fixtures", "attire")
W = np.array([[4.0, 4.0, 4.0], [-4.0, -4.0, -4.0], [-3.0, -3.0, 6.0], [6.0, -3.0, -3.0]], dtype=np.float32)
B = np.array([-6.0, 6.0, 0.0, 0.0], dtype=np.float32)

x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 64, 48])
y = helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, 4])
nodes = [
    helper.make_node("GlobalAveragePool", ["x"], ["pooled"]),
    helper.make_node("Flatten", ["pooled"], ["flat"]),
    helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], transB=1),
    helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
]
graph = helper.make_graph(nodes, "tiny_attire", [x], [y], [helper.make_tensor("W", TensorProto.FLOAT, [4, 3], W.flatten()), helper.make_tensor("B", TensorProto.FLOAT, [4], B)])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="liyi-test")
model.ir_version = 8
onnx.checker.check_model(model)
os.makedirs(HERE, exist_ok=True)
path = os.path.join(HERE, "tiny-attire.onnx")
data = model.SerializeToString()
open(path, "wb").write(data)
sha = hashlib.sha256(data).hexdigest()
open(os.path.join(HERE, "tiny-attire.toml"), "w").write(f'''# A contract-test attire model (scripts/make-test-attire-model.py): mean colour → 4 classes.
name = "tiny-attire"
file = "tiny-attire.onnx"
sha256 = "{sha}"
family = "attire_classes"
task = "attire"
licence = "MIT OR Apache-2.0 (made by this project)"
source = "scripts/make-test-attire-model.py"
bundled = false
notes = "Not a detector: a bright chest crop reads as badge, a blue one as uniform. For the plug-in slot's tests only."

[input]
name = "x"
dtype = "float32"
layout = "NCHW"
size = [48, 64]
colour = "RGB"
mean = [0.0, 0.0, 0.0]
std = [255.0, 255.0, 255.0]

[output]
names = ["probs"]
layout = "[1, 4] class probabilities"
labels = ["badge", "no_badge", "uniform_ok", "uniform_off"]
''')
print(path, len(data), "bytes", sha)
