"""The bundled model on real cameras' files: held-out photographs shot by three makers' published colour responses
(cameras the training never saw) under incandescent light and daylight, each written as that camera's DNG.

Issue #26 is done when each camera response's per-channel mean / truth is within 6% of the identity sensor's and its
PSNR within 1.5 dB of it. The bundled model meets that for some responses, not all (MODEL_CARD.md: worst 9.2% and
2.1 dB; the model before it was 38-60% off and 5.7-8.4 dB below): the target is a strict expected failure here,
which turns into a failure to notice when a model meets it. What holds today is guarded (10%, 2.5 dB), and a
conversion that is wrong in the ways real metadata goes wrong (transposed matrix, inverted white balance, the wrong
light) fails that guard.
"""

import tempfile
from pathlib import Path

import numpy as np
import pytest

from lowlight_edge.metrics.quality import psnr
from lowlight_edge.model.checkpoint import load_generator
from lowlight_edge.raw.camera_response import camera_response
from lowlight_edge.raw.cameras import HELD_OUT_CAMERAS, camera
from lowlight_edge.raw.colour import ColourConversion
from lowlight_edge.raw.padded_inference import enhance_packed
from lowlight_edge.raw.reader import read_raw
from lowlight_edge.raw.scenes import HELD_OUT_IMAGES, load_image
from lowlight_edge.train.evaluate import (
    CARD_RESPONSES,
    CONDITIONS,
    IDENTITY_RESPONSE,
    against_identity,
    channel_means,
    evaluate_held_out,
    held_out_dng,
)
from lowlight_edge.weights import default_model

TARGET = (0.06, 1.5)  # issue #26: colour within 6% of the identity sensor's, PSNR within 1.5 dB
GUARD = (0.10, 2.5)  # what the bundled model holds (worst 9.2%, -2.07 dB): the colour cast must not come back


def _passes(identity: dict, shot: dict, limits: tuple[float, float]) -> bool:
    colour, db = against_identity(identity, shot)
    return colour <= limits[0] and db >= -limits[1]


@pytest.fixture(scope="module")
def bundled():
    import torch

    loaded = load_generator(default_model())
    model = loaded.model

    def infer(x):
        with torch.inference_mode():
            return model(torch.from_numpy(x)).numpy()

    return infer, loaded.config.input_convention


@pytest.fixture(scope="module")
def by_response(bundled):
    infer, convention = bundled
    groups = evaluate_held_out(infer, responses=CARD_RESPONSES, convention=convention, with_naive=False)["by_response"]
    return {(g["camera"], g["light"]): g for g in groups}


def test_the_bundled_model_is_neutral_and_held_out_cameras_span_three_makers_and_two_lights(bundled):
    assert bundled[1] == "neutral"
    shots = [s for s in CARD_RESPONSES if s != IDENTITY_RESPONSE]
    assert len({camera(key).make.split()[0].lower() for key, _ in shots}) >= 3
    assert len({light for _, light in shots}) >= 2
    assert set(key for key, _ in shots) == set(HELD_OUT_CAMERAS)


CAMERA_SHOTS = [s for s in CARD_RESPONSES if s != IDENTITY_RESPONSE]


@pytest.mark.parametrize("shot", CAMERA_SHOTS, ids=lambda s: f"{s[0]}-{s[1]}")
def test_every_cameras_colour_stays_close_to_the_identity_sensors(by_response, shot):
    assert _passes(by_response[IDENTITY_RESPONSE], by_response[shot], GUARD), \
        against_identity(by_response[IDENTITY_RESPONSE], by_response[shot])


@pytest.mark.xfail(strict=True, reason="issue #26's target (6%, 1.5 dB for every camera response) is not met yet: "
                   "worst 9.2% and -2.07 dB (MODEL_CARD.md)")
def test_every_cameras_colour_meets_the_issues_target(by_response):
    assert all(_passes(by_response[IDENTITY_RESPONSE], by_response[shot], TARGET) for shot in CAMERA_SHOTS)


def _wrong(right: ColourConversion, how: str, key: str) -> ColourConversion:
    if how == "transposed matrix":
        return ColourConversion.from_arrays(right.gains, np.asarray(right.matrix).T, "test", "test")
    if how == "inverted white balance":
        return ColourConversion.from_arrays(1 / np.asarray(right.gains), right.matrix, "test", "test")
    daylight = camera_response(camera(key), "D65").conversion()  # a file that says daylight, shot under A
    return ColourConversion.from_arrays(daylight.gains, daylight.matrix, "test", "test")


@pytest.mark.parametrize("how", ["transposed matrix", "inverted white balance", "wrong illuminant"])
def test_wrong_conversions_fail_the_check(bundled, by_response, how):
    """Frames of a camera the guard passes, with their conversion made wrong: the guard must refuse them."""
    infer, convention = bundled
    key, light = "canon-eos-r6", "A"
    rng, rows = np.random.default_rng(7), []
    for name in HELD_OUT_IMAGES:
        clean = load_image(name)
        for ratio, iso in CONDITIONS:
            with tempfile.TemporaryDirectory() as tmp:
                frame = read_raw(held_out_dng(Path(tmp), clean, ratio, iso, (key, light), rng, name))
            frame.colour = _wrong(frame.colour, how, key)
            image = enhance_packed(infer, frame.pack(ratio, convention))
            rows.append((psnr(clean, image), channel_means(image), channel_means(clean)))
    model, truth = (np.sum([r[i] for r in rows], axis=0) for i in (1, 2))
    shot = {"model_psnr": float(np.mean([r[0] for r in rows])), "model_channel_ratio": (model / truth).tolist()}
    assert not _passes(by_response[IDENTITY_RESPONSE], shot, GUARD), against_identity(by_response[IDENTITY_RESPONSE],
                                                                                      shot)
