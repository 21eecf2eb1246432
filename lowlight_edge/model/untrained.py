"""A seeded, untrained generator checkpoint: to try export, benchmarks and device builds before training.

Latency measured on it is real; its images are not.
"""

from dataclasses import dataclass
from pathlib import Path

from lowlight_edge.deps import require
from lowlight_edge.model.checkpoint import save_generator
from lowlight_edge.model.config import GeneratorConfig


@dataclass(frozen=True)
class Untrained:
    path: Path
    config: GeneratorConfig
    parameters: int


def write_untrained(output: Path, config: GeneratorConfig, seed: int = 0, force: bool = False) -> Untrained:
    torch = require("torch", "init")
    from lowlight_edge.model.generator import AttentionUNet  # imports torch: only when a model is built

    torch.manual_seed(seed)
    model = AttentionUNet(config)
    save_generator(model, output, force=force, extra_metadata={"lowlight_edge.seed": seed, "lowlight_edge.trained": "false"})
    return Untrained(Path(output), config, sum(p.numel() for p in model.parameters()))
