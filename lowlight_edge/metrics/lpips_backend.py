"""One LPIPS interface over PyTorch and ONNX Runtime, so drift can be measured on a device without torch.

`LpipsMetric(a, b)` takes RGB images [H, W, 3] in [0, 1] and returns (distance, spatial map [H, W]).
The ONNX form (`export_lpips_onnx`) has inputs `a`, `b` [N, 3, H, W] and outputs `distance` [N] and
`map` [N, 1, H, W], dynamic in N, H and W.
"""

import warnings
from pathlib import Path

import numpy as np

from lowlight_edge.deps import available
from lowlight_edge.errors import InputError, MissingDependency
from lowlight_edge.fileio.atomic import atomic_output
from lowlight_edge.metrics.lpips_weights import MIN_SIZE
from lowlight_edge.onnxgraph.files import validate_onnx_file


def _nchw(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    if min(h, w) < MIN_SIZE:
        raise InputError(f"LPIPS needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels (AlexNet's pooling leaves "
                         f"nothing of smaller ones); got {w}x{h}")
    return np.ascontiguousarray(np.moveaxis(image, -1, 0)[None], dtype=np.float32)


class TorchLpips:
    backend = "torch"

    def __init__(self, weights: Path | None = None) -> None:
        from lowlight_edge.metrics.lpips import LPIPS

        self.model = LPIPS.from_weights(weights)

    def __call__(self, a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
        import torch

        from lowlight_edge.metrics.lpips import distance, spatial_map

        with torch.inference_mode():
            maps = self.model.layer_maps(torch.from_numpy(_nchw(a)), torch.from_numpy(_nchw(b)))
            return float(distance(maps)[0]), spatial_map(maps, a.shape[:2])[0, 0].numpy()


class OrtLpips:
    backend = "onnxruntime"

    def __init__(self, onnx_path: Path) -> None:
        import onnxruntime as ort

        validate_onnx_file(onnx_path)
        self.session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])

    def __call__(self, a: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
        distance, spatial = self.session.run(["distance", "map"], {"a": _nchw(a), "b": _nchw(b)})
        return float(distance[0]), spatial[0, 0]


def load_lpips(weights: Path | None = None, onnx_path: Path | None = None):
    """PyTorch LPIPS when torch is installed, else the ONNX export (`--lpips-onnx`)."""
    if onnx_path is not None:
        return OrtLpips(onnx_path)
    if not available("torch"):
        raise MissingDependency("LPIPS needs torch (pip install 'lowlight-edge[export]') or an ONNX export of the "
                                "metric: lowlight-edge weights export-onnx -o lpips.onnx, then --lpips-onnx lpips.onnx")
    return TorchLpips(weights)


def export_lpips_onnx(output: Path, weights: Path | None = None, force: bool = False) -> Path:
    import torch

    from lowlight_edge.metrics.lpips import LPIPS, distance, spatial_map

    class Both(torch.nn.Module):
        def __init__(self, metric):
            super().__init__()
            self.metric = metric

        def forward(self, a, b):
            maps = self.metric.layer_maps(a, b)
            return distance(maps), spatial_map(maps, a.shape[-2:])

    model = Both(LPIPS.from_weights(weights)).eval()
    example = (torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64))
    dynamic = {"a": {0: "n", 2: "h", 3: "w"}, "b": {0: "n", 2: "h", 3: "w"}, "distance": {0: "n"},
               "map": {0: "n", 2: "h", 3: "w"}}
    with atomic_output(output, force) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, str(tmp), dynamo=False, opset_version=17, input_names=["a", "b"],
                          output_names=["distance", "map"], dynamic_axes=dynamic)
    return Path(output)
