"""What a closeness test compares with, and the controls that must fail it.

The tiny test model (conftest, width 4) barely depends on its input, so a model that ignored its input would pass a
tolerance against it. Closeness is therefore measured on the bundled (trained) model, whose output responds to its
input (`responsive` checks it), as PSNR against the reference, and each test shows that a perturbed model and a
constant model fail the same threshold.
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR of b against a, both clipped to [0, 1] (the image range)."""
    mse = float(np.mean((np.clip(a, 0, 1) - np.clip(b, 0, 1)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def low_light_batch(shape=(1, 4, 64, 96), seed: int = 0) -> np.ndarray:
    """A packed frame in the range the network sees after amplification."""
    return (np.random.default_rng(seed).random(shape, dtype=np.float32) * 0.5).astype(np.float32)


def responsive(infer, shape=(1, 4, 64, 96), minimum: float = 0.05) -> bool:
    """Whether the model's output moves with its input: mean |f(x) - f(x / 2)| on a low-light frame (the tiny test
    model gives under 0.009, a constant model 0, the bundled model about 0.07)."""
    x = low_light_batch(shape, 1)
    return float(np.abs(infer(x) - infer(x / 2)).mean()) >= minimum


def perturbed(source: Path, target: Path, factor: float = 1.5) -> Path:
    """The same graph with its first convolution's weights scaled: a model close tests must reject (on the bundled
    model, x1.5 gives about 19 dB against the original, x1.01 about 53 dB)."""
    model = onnx.load(str(source))
    first_conv = next(n for n in model.graph.node if n.op_type == "Conv")
    weight = next(t for t in model.graph.initializer if t.name == first_conv.input[1])
    weight.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weight) * factor, weight.name))
    onnx.save(model, str(target))
    return target


def constant(target: Path, value: float = 0.3) -> Path:
    """A model that ignores its input: [N, 4, h, w] -> a constant [N, 3, 2h, 2w]."""
    x = helper.make_tensor_value_info("packed", TensorProto.FLOAT, ["n", 4, "h", "w"])
    y = helper.make_tensor_value_info("rgb", TensorProto.FLOAT, ["n", 3, "h2", "w2"])
    nodes = [helper.make_node("Slice", ["packed", "s", "e", "a"], ["three"]),
             helper.make_node("Mul", ["three", "zero"], ["zeros"]),
             helper.make_node("Add", ["zeros", "value"], ["flat"]),
             helper.make_node("Concat", ["flat"] * 4, ["twelve"], axis=1),
             helper.make_node("DepthToSpace", ["twelve"], ["rgb"], blocksize=2, mode="CRD")]
    inits = [numpy_helper.from_array(np.array(v, dtype), n) for n, v, dtype in
             (("s", [0], np.int64), ("e", [3], np.int64), ("a", [1], np.int64), ("zero", 0.0, np.float32),
              ("value", value, np.float32))]
    model = helper.make_model(helper.make_graph(nodes, "constant", [x], [y], inits),
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(target))
    return target
