"""LPIPS pinned to the values the reference implementation prints for its own example images.

Every drift budget rests on this metric. Properties (zero on identical images, symmetry) and the linear layers
alone would pass a wrong transpose of the AlexNet convolutions or a wrong scaling layer; the reference values
(0.722 and 0.138, AlexNet v0.1, from richzhang/PerceptualSimilarity's test script: tests/data/lpips/README.md) do
not. Computed through the code path `lowlight-edge metrics` uses, PNG reading included.
"""

import json
from pathlib import Path

import pytest
import torch

from lowlight_edge.cli import main

DATA = Path(__file__).parent / "data" / "lpips"
REFERENCE = {"ex_p0.png": 0.722, "ex_p1.png": 0.138}  # printed rounded to three decimals


def _lpips(capsys, other: str) -> float:
    assert main(["metrics", str(DATA / "ex_ref.png"), str(DATA / other), "--json"]) == 0
    return json.loads(capsys.readouterr().out)["lpips"]


@pytest.mark.parametrize("other", sorted(REFERENCE))
def test_lpips_reproduces_the_reference_implementations_values(capsys, other):
    assert abs(_lpips(capsys, other) - REFERENCE[other]) <= 0.0005


def test_a_wrong_scaling_layer_or_a_transposed_convolution_misses_them(capsys, monkeypatch):
    from lowlight_edge.metrics import lpips as lpips_module

    monkeypatch.setattr(lpips_module, "SHIFT", (0.0, 0.0, 0.0))  # no scaling layer
    assert abs(_lpips(capsys, "ex_p0.png") - REFERENCE["ex_p0.png"]) > 0.0005
    monkeypatch.undo()
    real = lpips_module.LPIPS.from_weights.__func__

    def transposed(cls, path=None):
        model = real(cls, path)
        conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
        conv.weight.data = conv.weight.data.transpose(2, 3).contiguous()  # kernel rows and columns swapped
        return model

    monkeypatch.setattr(lpips_module.LPIPS, "from_weights", classmethod(transposed))
    assert abs(_lpips(capsys, "ex_p0.png") - REFERENCE["ex_p0.png"]) > 0.0005
