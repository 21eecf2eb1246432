"""ONNX files as the user gives them: readable, parsable, and taking the packed Bayer input.

Checked on the file, before any session: one clear line for a missing, empty, truncated or foreign model.
"""

from pathlib import Path

import onnx
from onnx.external_data_helper import uses_external_data

from lowlight_edge.errors import ModelError
from lowlight_edge.fileio.inputs import regular_file
from lowlight_edge.onnxgraph.pipeline_io import PIPELINE_KEY


def check_packed_input(model: onnx.ModelProto, path: Path) -> None:
    """The graph takes one packed Bayer input [N, 4, h, w] (checked on the file, before any session)."""
    if any(p.key == PIPELINE_KEY for p in model.metadata_props):
        raise ModelError(f"{path} is a pipeline graph (RAW frame in, pixels out): quantize or calibrate the network "
                         "graph it wraps, then wrap the result with `lowlight-edge pipeline`")
    inputs = [i for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in inputs[0].type.tensor_type.shape.dim] if inputs else []
    if len(inputs) != 1 or len(dims) != 4 or dims[1] != 4:
        shape = "no input" if not inputs else f"input {inputs[0].name!r} of shape {dims}"
        raise ModelError(f"{path}: {shape}; expected packed Bayer [N, 4, h, w]")


def with_weights_in_memory(model: onnx.ModelProto, path: Path) -> onnx.ModelProto:
    """`model` with any external-data weights read in, for runtimes handed bytes (which carry no folder).

    onnx's loader reads them, refusing locations that leave the model's folder and files shorter than declared.
    """
    if not any(uses_external_data(t) for t in model.graph.initializer):
        return model
    try:
        return onnx.load(str(path))
    except Exception as exc:  # onnx raises ValueError, OSError, protobuf errors for hostile or missing data
        raise ModelError(f"{path}: its external weights cannot be read ({str(exc).splitlines()[0][:200]})") from exc


def validate_onnx_file(path: Path) -> onnx.ModelProto:
    """The parsed model; one clear line on a missing, empty, truncated or otherwise unparsable ONNX file."""
    path = regular_file(path, "ONNX file", ModelError)
    if path.stat().st_size == 0:
        raise ModelError(f"ONNX file {path} is empty (0 bytes)")
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf DecodeError and friends
        raise ModelError(f"{path} is not a valid ONNX model (truncated or corrupt: {str(exc).splitlines()[0][:200]})") from exc
    check_external_data(model, path)
    return model


def _tensors(graph: onnx.GraphProto):
    """Every tensor a graph stores: initializers and node attributes, subgraphs included."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            for sub in ([attribute.g] if attribute.HasField("g") else []) + list(attribute.graphs):
                yield from _tensors(sub)


def check_external_data(model: onnx.ModelProto, path: Path) -> None:
    """External-data fields are untrusted: each must name a regular file inside the model's folder and a byte
    range that file holds. One line for the first that does not, before onnx or a runtime reads any."""
    folder = Path(path).parent.resolve()
    for tensor in _tensors(model.graph):
        if not uses_external_data(tensor):
            continue
        info = {entry.key: entry.value for entry in tensor.external_data}
        where = f"{path}: the external data of tensor {tensor.name[:80]!r}"
        location = info.get("location", "")
        if "\x00" in location:
            raise ModelError(f"{where} names a location holding a NUL byte; refused")
        if not location or Path(location).is_absolute() or not (folder / location).resolve().is_relative_to(folder):
            raise ModelError(f"{where} is at {location[:200]!r}, outside the model's folder; refused")
        size = regular_file(folder / location, f"external data file of {Path(path).name}", ModelError).stat().st_size
        try:
            offset = int(info.get("offset", "0"))
            length = int(info["length"]) if "length" in info else size - offset  # no length: to the end of the file
        except ValueError:
            raise ModelError(f"{where} has an offset or length that is not a whole number") from None
        if offset < 0 or length < 0 or offset + length > size:
            raise ModelError(f"{where} asks for bytes {offset:,}..{offset + length:,} of a {size:,}-byte file; refused")
