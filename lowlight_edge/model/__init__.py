"""The generator (Attention U-Net), the conditional PatchGAN discriminator and checkpoint IO."""

from lowlight_edge.model.config import PRESETS, GeneratorConfig

__all__ = ["PRESETS", "GeneratorConfig"]
