"""The one list of image-quality metrics, and what each is measured against.

Drift summaries, their aggregation, the terminal and Markdown tables and the JSON keys are all generated
from METRICS x AGAINST: adding a metric is one row here.

>>> [m.key for m in MEASURES]
['lpips_drift', 'psnr_vs_ref', 'ssim_vs_ref', 'lpips_vs_gt', 'psnr_vs_gt', 'ssim_vs_gt']
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from lowlight_edge.metrics.quality import psnr, ssim

REFERENCE, GROUND_TRUTH = "ref", "gt"
AGAINST = {REFERENCE: "ref", GROUND_TRUTH: "GT"}  # the reference model's output; the data's ground truth


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    digits: int  # decimals shown in tables
    compute: Callable[[np.ndarray, np.ndarray, Callable], float]  # (reference image, image, lpips) -> value
    budgeted: bool = False  # the drift budgets are set on this metric against the reference


METRICS = (
    Metric("lpips", "LPIPS", 4, lambda a, b, lpips: lpips(a, b)[0], budgeted=True),
    Metric("psnr", "PSNR", 2, lambda a, b, lpips: psnr(a, b)),
    Metric("ssim", "SSIM", 4, lambda a, b, lpips: ssim(a, b)),
)


@dataclass(frozen=True)
class Measure:
    metric: Metric
    against: str  # REFERENCE or GROUND_TRUTH

    @property
    def is_drift(self) -> bool:
        return self.metric.budgeted and self.against == REFERENCE

    @property
    def key(self) -> str:
        return f"{self.metric.name}_drift" if self.is_drift else f"{self.metric.name}_vs_{self.against}"

    @property
    def header(self) -> str:
        return f"{self.metric.label} drift" if self.is_drift else f"{self.metric.label} vs {AGAINST[self.against]}"


MEASURES = tuple(Measure(metric, against) for against in AGAINST for metric in METRICS)
DRIFT = next(m for m in MEASURES if m.is_drift)


def measures_against(against: str) -> tuple[Measure, ...]:
    return tuple(m for m in MEASURES if m.against == against)
