"""Graph walks and edits every ONNX rewrite needs: who produces a tensor, who reads it, what is unused."""

import onnx


def expose_all_outputs(model: onnx.ModelProto) -> onnx.ModelProto:
    """A copy whose graph outputs include every node output (shapes left to ONNX Runtime)."""
    exposed = onnx.ModelProto()
    exposed.CopyFrom(model)
    present = {o.name for o in exposed.graph.output}
    for node in exposed.graph.node:
        for name in node.output:
            if name and name not in present:
                exposed.graph.output.add(name=name)
                present.add(name)
    return exposed


def producers(model: onnx.ModelProto) -> dict[str, onnx.NodeProto]:
    return {out: node for node in model.graph.node for out in node.output}


def readers(model: onnx.ModelProto) -> dict[str, list[onnx.NodeProto]]:
    """Tensor name -> the nodes reading it (absent: nobody reads it)."""
    found: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            found.setdefault(name, []).append(node)
    return found


def drop_unused_initializers(model: onnx.ModelProto) -> None:
    """Remove the weights no node reads any more (after a rewrite replaced their readers)."""
    used = {name for node in model.graph.node for name in node.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
