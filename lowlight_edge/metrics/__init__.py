"""Image quality metrics: LPIPS (AlexNet, v0.1), PSNR and SSIM."""
