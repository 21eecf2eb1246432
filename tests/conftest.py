"""Shared fixtures: a tiny generator checkpoint and its ONNX export, made once per session."""

import os
from pathlib import Path

import pytest

TINY_WIDTH = 4  # keeps every test fast; the architecture is the same at any width
# scripts the API conformance tests run in a subprocess beside NVIDIA's modules: never imported here
collect_ignore = ["trt_introspect.py", "cuda_introspect.py"]


def pytest_addoption(parser):
    parser.addoption("--require-gpu", action="store_true",
                     help="turn skips of gpu/tensorrt-marked tests into failures (for GPU machines)")


def pytest_configure(config):
    # `make test` provisions the LPIPS weights here; a plain `pytest` after it finds them too.
    os.environ.setdefault("LOWLIGHT_EDGE_CACHE", str(Path(__file__).resolve().parents[1] / ".cache" / "lowlight-edge"))
    config.addinivalue_line("markers", "require_device: set by --require-gpu on gpu/tensorrt tests")


def pytest_collection_modifyitems(config, items):
    if not config.getoption("--require-gpu"):
        return
    for item in items:
        if item.get_closest_marker("gpu") or item.get_closest_marker("tensorrt"):
            item.add_marker(pytest.mark.require_device)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("require_device"):
        report.outcome = "failed"
        report.longrepr = f"--require-gpu: {item.nodeid} was skipped on a machine that must run it"


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    import torch

    from lowlight_edge.model.checkpoint import save_generator
    from lowlight_edge.model.config import GeneratorConfig
    from lowlight_edge.model.generator import AttentionUNet

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny.safetensors"
    save_generator(AttentionUNet(GeneratorConfig(width=TINY_WIDTH)), path)
    return path


@pytest.fixture(scope="session")
def tiny_onnx(tiny_checkpoint, tmp_path_factory):
    from lowlight_edge.export.onnx_export import export_onnx

    path = tmp_path_factory.mktemp("onnx") / "tiny.fp32.onnx"
    export_onnx(tiny_checkpoint, path)
    return path


@pytest.fixture(scope="session")
def default_onnx(tmp_path_factory):
    """The bundled (trained) model as FP32 ONNX: its output depends on its input, unlike the tiny model's."""
    from closeness import responsive

    from lowlight_edge.engines.ort_runner import OrtRunner
    from lowlight_edge.export.onnx_export import export_onnx
    from lowlight_edge.weights import default_model

    path = tmp_path_factory.mktemp("default") / "default.fp32.onnx"
    export_onnx(default_model(), path)
    with OrtRunner(path) as runner:
        assert responsive(runner.infer), "the closeness tests' reference model must respond to its input"
    return path


@pytest.fixture(scope="session")
def lpips_weights():
    """The cached LPIPS weight file (`make test` fetches it), or a skip naming how to get it."""
    from lowlight_edge.errors import InputError
    from lowlight_edge.metrics.lpips_weights import resolve

    try:
        return resolve()
    except InputError as exc:
        pytest.skip(f"{exc} (make test provisions them)")


def _bundled_as(convention: str, folder: Path) -> Path:
    """The bundled weights saved under an explicit input convention (the weights respond to their input whatever
    the convention says; what changes is how every path feeds them)."""
    from dataclasses import replace

    from lowlight_edge.model.checkpoint import load_generator, save_generator
    from lowlight_edge.weights import default_model

    model = load_generator(default_model()).model
    model.config = replace(model.config, input_convention=convention)
    return save_generator(model, folder / f"default-{convention}.safetensors")


@pytest.fixture(scope="session")
def default_camera_checkpoint(tmp_path_factory):
    """The bundled weights as a camera-convention checkpoint: what a SID-trained model is."""
    return _bundled_as("camera", tmp_path_factory.mktemp("camera"))


@pytest.fixture(scope="session")
def default_camera_onnx(default_camera_checkpoint, tmp_path_factory):
    from lowlight_edge.export.onnx_export import export_onnx

    return export_onnx(default_camera_checkpoint, tmp_path_factory.mktemp("camera-onnx") / "camera.fp32.onnx").output


@pytest.fixture(scope="session")
def default_neutral_onnx(tmp_path_factory):
    from lowlight_edge.export.onnx_export import export_onnx

    checkpoint = _bundled_as("neutral", tmp_path_factory.mktemp("neutral"))
    return export_onnx(checkpoint, tmp_path_factory.mktemp("neutral-onnx") / "neutral.fp32.onnx").output
