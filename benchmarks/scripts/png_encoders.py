"""PNG encoders and settings on one full-frame output of the bundled model: time and size, 3 runs after 1 warmup.

The image is what `enhance` writes: the INT8 (cpu target) pipeline graph's 8-bit output for a full-frame DNG.
libdeflate and zlib-ng compress the PNG-filtered rows (Up filter) as a PNG's IDAT would; they are not PNG encoders.

Usage: python benchmarks/scripts/png_encoders.py PIPELINE.onnx FRAME.dng
"""

import statistics
import sys
import time
from pathlib import Path

import imagecodecs
import numpy as np
import onnxruntime as ort

from lowlight_edge.onnxgraph.pipeline_io import pipeline_feed
from lowlight_edge.raw.reader import read_raw


def up_filtered(pixels: np.ndarray) -> np.ndarray:
    """Rows with the PNG Up filter applied, each led by its filter byte (2)."""
    h, w, c = pixels.shape
    rows = pixels.reshape(h, w * c)
    out = np.empty((h, w * c + 1), np.uint8)
    out[:, 0] = 2
    out[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=out[1:, 1:])
    return out


def main() -> None:
    model, dng = Path(sys.argv[1]), Path(sys.argv[2])
    frame = read_raw(dng)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    neutral = {i.name for i in session.get_inputs()} >= {"gains", "colour_matrix"}  # a neutral network's pipeline
    feed = pipeline_feed(frame.bayer, frame.phase, frame.black, frame.white, 100.0, frame.colour if neutral else None)
    image = session.run(None, feed.arrays())[0]
    strategy, filt = imagecodecs.PNG.STRATEGY, imagecodecs.PNG.FILTER
    filtered = up_filtered(image)
    candidates = {
        "libpng level 1, Sub, RLE (enhance's default)": lambda: png_encode(level=1, filter=filt.SUB, strategy=strategy.RLE),
        "libpng level 1, Sub, Huffman only": lambda: png_encode(level=1, filter=filt.SUB, strategy=strategy.HUFFMAN_ONLY),
        "libpng level 1, Up, Huffman only": lambda: png_encode(level=1, filter=filt.UP, strategy=strategy.HUFFMAN_ONLY),
        "libpng level 1, Paeth, Huffman only": lambda: png_encode(level=1, filter=filt.PAETH, strategy=strategy.HUFFMAN_ONLY),
        "libpng level 1, Sub, default strategy": lambda: png_encode(level=1, filter=filt.SUB),
        "libpng level 0 (stored), no filter": lambda: png_encode(level=0, filter=filt.NONE),
        "libspng level 1": lambda: imagecodecs.spng_encode(image, level=1),
        "Up-filtered rows, libdeflate level 1": lambda: imagecodecs.deflate_encode(filtered, level=1),
        "Up-filtered rows, zlib-ng level 1": lambda: imagecodecs.zlibng_encode(filtered, level=1),
    }

    def png_encode(**settings):
        return imagecodecs.png_encode(image, **settings)

    print(f"{dng.name} through {model.name}: {image.shape[1]}x{image.shape[0]} 8-bit, {image.nbytes / 1e6:.1f} MB of "
          f"pixels; {imagecodecs.png_version()}, {imagecodecs.zlib_version()}, {imagecodecs.spng_version()}, "
          f"{imagecodecs.deflate_version()}, {imagecodecs.zlibng_version()}")
    for name, encode in candidates.items():
        encode()
        times = []
        for _ in range(3):
            start = time.perf_counter()
            size = len(encode())
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:45s} {statistics.median(times):7.1f} ms  {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
