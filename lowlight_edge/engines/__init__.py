"""Runners: one interface (context manager, `infer(packed) -> rgb`) over every backend."""

from lowlight_edge.engines.base import Runner, TensorSpec
from lowlight_edge.engines.select import model_kind, open_runner

__all__ = ["Runner", "TensorSpec", "model_kind", "open_runner"]
