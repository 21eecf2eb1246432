"""lowlight-edge: take a low-light enhancement GAN from a PyTorch checkpoint to the edge."""

from lowlight_edge.version import __version__

__all__ = ["__version__"]
