import numpy as np
import pytest
import torch

from lowlight_edge.errors import InputError
from lowlight_edge.model.attention import AttentionGate
from lowlight_edge.model.config import PRESETS, GeneratorConfig, parse_width
from lowlight_edge.model.discriminator import PatchDiscriminator
from lowlight_edge.model.generator import AttentionUNet


@pytest.mark.parametrize("n,h,w", [(1, 16, 16), (2, 32, 48), (1, 64, 32)])
def test_generator_doubles_resolution_to_rgb(n, h, w):
    model = AttentionUNet(GeneratorConfig(width=4)).eval()
    with torch.no_grad():
        out = model(torch.rand(n, 4, h, w))
    assert out.shape == (n, 3, 2 * h, 2 * w)
    assert torch.isfinite(out).all()


def test_default_width_reproduces_sid_channel_progression():
    model = AttentionUNet(GeneratorConfig())
    widths = [enc[0].out_channels for enc in model.encoders]
    assert widths == [32, 64, 128, 256, 512]
    assert model.head.out_channels == 12


def test_lite_preset_halves_widths():
    assert parse_width("lite") == 16 == PRESETS["lite"]
    model = AttentionUNet(GeneratorConfig(width=parse_width("lite")))
    assert [enc[0].out_channels for enc in model.encoders] == [16, 32, 64, 128, 256]


def test_every_skip_connection_is_gated():
    model = AttentionUNet(GeneratorConfig(width=4, depth=4))
    assert len(model.decoders) == 4
    assert all(isinstance(d.gate, AttentionGate) for d in model.decoders)
    plain = AttentionUNet(GeneratorConfig(width=4, attention=False))
    assert all(d.gate is None for d in plain.decoders)


def test_attention_gate_multiplies_skip_by_map_in_unit_interval():
    torch.manual_seed(1)
    gate = AttentionGate(8, 8, 4)
    with torch.no_grad():
        gate.psi.weight.mul_(50)  # push the sigmoid towards its limits: still within [0, 1]
        skip, g = torch.randn(2, 8, 10, 12), torch.randn(2, 8, 10, 12)
        alpha = gate.coefficients(skip, g)
        out = gate(skip, g)
    assert alpha.shape == (2, 1, 10, 12)
    assert alpha.min() >= 0 and alpha.max() <= 1
    assert alpha.min() < 0.05 and alpha.max() > 0.95  # really gating, not a constant
    # the paper's formula written out with numpy from the gate's weights, independent of the module's code:
    # alpha = sigmoid(psi . relu(W_g g + b_g + W_x x) + b_psi), per pixel
    w_g, b_g = gate.gate_proj.weight[:, :, 0, 0].detach().numpy(), gate.gate_proj.bias.detach().numpy()
    w_x, w_psi = gate.skip_proj.weight[:, :, 0, 0].detach().numpy(), gate.psi.weight[0, :, 0, 0].detach().numpy()
    x, gg = skip.numpy(), g.numpy()
    hidden = np.maximum(np.einsum("oc,nchw->nohw", w_g, gg) + b_g[None, :, None, None]
                        + np.einsum("oc,nchw->nohw", w_x, x), 0)
    logits = np.einsum("o,nohw->nhw", w_psi, hidden) + gate.psi.bias.detach().numpy()[0]
    expected = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(alpha[:, 0].numpy(), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(out.numpy(), x * expected[:, None], rtol=1e-4, atol=1e-6)


def test_discriminator_sees_packed_input_and_rgb():
    disc = PatchDiscriminator(width=8)
    logits = disc(torch.rand(2, 4, 32, 32), torch.rand(2, 3, 64, 64))
    assert logits.shape[0] == 2 and logits.shape[1] == 1
    assert logits.shape[2] > 1 and logits.shape[3] > 1  # a grid of patch decisions


@pytest.mark.parametrize("text", ["0", "-3", "wide", "1.5"])
def test_bad_width_is_refused(text):
    with pytest.raises(InputError):
        parse_width(text)


def test_config_json_round_trip_and_unknown_field():
    cfg = GeneratorConfig(width=8, depth=3, attention=False)
    assert GeneratorConfig.from_json(cfg.to_json()) == cfg
    assert cfg.multiple == 8
    with pytest.raises(InputError, match="unknown field 'bogus'"):
        GeneratorConfig.from_dict({"width": 8, "bogus": 1})
