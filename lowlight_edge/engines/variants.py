"""The one table of model variants, beside the backend table: every place that makes, budgets, builds, times or
skips a precision reads it.

A variant is a graph and how it runs: the graph's maker (export, the FP16 pass, INT8 with its options), or, for a
runtime setting such as OpenVINO's BF16, the variant whose graph it runs and the backend row that applies the
setting. Each row says what it computes in (the key of its drift budget), its default budget against FP32, whether a
TensorRT engine is built from it and with TF32 or not, and on which backends it runs: FAST (timed: what a user of
that runtime would deploy), VALID (runs correctly, slowly: drift is measured there, never speed), any other
backend not at all.

Adding a precision is one row here plus, for a new kind of graph, its maker (tune/variants.py `MAKERS`);
docs/development.md walks through it.
"""

from dataclasses import dataclass, field

from lowlight_edge.onnxgraph.metadata import INT8_TARGET_KEY, INT8_WEIGHT_BITS_KEY, PRECISION_KEY
from lowlight_edge.onnxgraph.pipeline_io import TARGETS as GRAPH_TARGETS

FAST, VALID = "fast", "valid"


@dataclass(frozen=True)
class Variant:
    name: str
    precision: str  # what it computes in: the metadata precision, or the runtime's ("bf16"); the drift budget's key
    budget: float  # default mean LPIPS drift against the FP32 model
    runs: dict[str, str]  # backend name -> FAST or VALID; other backends do not run it
    maker: str = ""  # how its graph is made: "export", "fp16" or "int8" (tune/variants.py); empty: graph_of's
    options: dict = field(default_factory=dict)  # the maker's options (int8: target, weight_bits)
    graph_of: str | None = None  # a runtime-setting variant: the variant whose graph it runs
    engine: bool = False  # a TensorRT engine is built from its graph where TensorRT and a GPU exist
    tf32: bool = True  # the engine's FP32 layers may run as TF32 (off for the FP32 reference)
    why_slow: str = ""  # why its VALID backends are not timed

    @property
    def graph(self) -> str:
        """The variant whose graph file this one runs (itself for a graph variant)."""
        return self.graph_of or self.name


_FLOAT_EVERYWHERE = {"ort-cpu": FAST, "ov-cpu": FAST, "ort-cuda": FAST, "ort-tensorrt": FAST, "ov-gpu": FAST,
                     "ov-npu": FAST, "tensorrt": FAST}
VARIANTS: tuple[Variant, ...] = (
    Variant("fp32", "fp32", 0.002, _FLOAT_EVERYWHERE, maker="export", engine=True, tf32=False),
    Variant("fp16", "fp16", 0.002, {"ort-cpu": VALID, "ov-cpu": VALID, "ort-cuda": FAST, "ort-tensorrt": FAST,
                                    "ov-gpu": FAST, "ov-npu": FAST, "tensorrt": FAST}, maker="fp16", engine=True,
            why_slow="CPUs have no fast FP16 kernels (ONNX Runtime emulates FP16 behind casts): FP16 speed is a GPU "
                     "number"),
    Variant("bf16", "bf16", 0.002, {"ov-cpu-bf16": FAST}, graph_of="fp32"),
    Variant("int8-tensorrt", "int8", 0.01, {"ort-cpu": VALID, "ov-cpu": FAST, "ort-tensorrt": FAST, "tensorrt": FAST},
            maker="int8", options={"target": "tensorrt"}, engine=True,
            why_slow="ONNX Runtime's CPU kernels want the cpu-target INT8 graph; this Q/DQ graph over FP16 is for "
                     "TensorRT and OpenVINO"),
    Variant("int8-tensorrt-bf16", "int8-bf16", 0.01, {"ov-cpu-bf16": FAST}, graph_of="int8-tensorrt"),
    Variant("int8-tensorrt-w7", "int8", 0.01, {"ort-cpu": VALID, "ov-cpu": FAST},
            maker="int8", options={"target": "tensorrt", "weight_bits": 7},
            why_slow="the 7-bit weights form is for OpenVINO on CPUs without VNNI; ONNX Runtime wants the cpu target"),
    Variant("int8-cpu", "int8", 0.01, {"ort-cpu": FAST, "ov-cpu": FAST}, maker="int8", options={"target": "cpu"}),
)
NAMES = tuple(v.name for v in VARIANTS)


def get_variant(name: str) -> Variant:
    return next(v for v in VARIANTS if v.name == name)


def graph_variants() -> list[Variant]:
    """The rows that are files of their own (each made once; runtime-setting rows reuse them)."""
    return [v for v in VARIANTS if v.graph_of is None]


def default_budgets() -> dict[str, float]:
    """The drift budget of each precision a runner reports (the first row of that precision sets it)."""
    budgets: dict[str, float] = {}
    for row in VARIANTS:
        budgets.setdefault(row.precision, row.budget)
    return budgets


def tf32_for(precision: str) -> bool:
    """Whether an engine of a graph of this precision keeps TF32 for its FP32 layers."""
    return next((v.tf32 for v in VARIANTS if v.engine and v.precision == precision), True)


def timed_on(variant: str, backend: str) -> bool:
    return get_variant(variant).runs.get(backend) == FAST


def validated_on(variant: str, backend: str) -> bool:
    return get_variant(variant).runs.get(backend) in (FAST, VALID)


def int8_targets() -> tuple[str, ...]:
    """The INT8 targets the table's rows are made for, in table order ("tensorrt", "cpu")."""
    return tuple(dict.fromkeys(v.options["target"] for v in VARIANTS if v.maker == "int8"))


# one list of graph targets (which runtimes a graph's nodes are chosen for): the INT8 rows' and the pipeline forms'
assert int8_targets() == GRAPH_TARGETS, (int8_targets(), GRAPH_TARGETS)


def variant_of(meta: dict[str, str]) -> Variant | None:
    """The graph row an ONNX file's metadata says it is (None for a file the table does not describe)."""
    precision = meta.get(PRECISION_KEY, "fp32")
    options = {}
    if precision == "int8":
        options = {"target": meta.get(INT8_TARGET_KEY, "tensorrt")}
        if meta.get(INT8_WEIGHT_BITS_KEY, "8") != "8":
            options["weight_bits"] = int(meta[INT8_WEIGHT_BITS_KEY]) if meta[INT8_WEIGHT_BITS_KEY].isdigit() else -1
    return next((v for v in graph_variants() if v.precision == precision and v.options == options), None)
