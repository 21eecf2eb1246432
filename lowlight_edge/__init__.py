"""lowlight-edge: take a low-light enhancement GAN from a PyTorch checkpoint to the edge."""

__version__ = "0.1.0"
