"""Training the generator as a conditional GAN (L1 + adversarial, PatchGAN discriminator)."""
