"""`lowlight-edge enhance`: RAW files in, PNG images out, with any model kind."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import LazyBar, printable, say
from lowlight_edge.commands.options import add_backend, add_force, add_runner_options, runner_options_from
from lowlight_edge.raw.orientation import NAMES


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "enhance", help="enhance RAW files to PNG with any model",
        description="Enhance low-light RAW files (any Bayer RAW LibRaw opens: ARW, DNG, NEF, CR2, ...) to 8- or "
        "16-bit PNG. The model can be a checkpoint (PyTorch), an ONNX file (ONNX Runtime or OpenVINO), a TensorRT "
        "engine or the bundled default. The amplification ratio comes from --ratio, else from --reference-exposure "
        "/ the file's exposure, else from a SID-style file name (10019_00_0.033s.ARW). A model with the neutral "
        "input convention (the bundled one) gets each file white-balanced and converted to sRGB primaries with the "
        "file's own colour metadata, so any camera's files render in their colours. Each picture is turned as the "
        "file's orientation asks, and every PNG is tagged sRGB and carries the capture metadata (make, model, "
        "exposure, ISO, the ratio and the model used) in text chunks.",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="RAW files or folders of RAW files")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR", help="folder for the PNG files")
    p.add_argument("--model", type=Path, default=None,
                   help="checkpoint, ONNX or engine, or a tune result (tune.json: its chosen file on its chosen "
                   "backend); default: the bundled model")
    add_backend(p, default="the fastest runtime installed here for the model's file type")
    p.add_argument("--ratio", type=float, default=None, help="amplification ratio (e.g. 100, 250, 300)")
    p.add_argument("--reference-exposure", type=float, default=None, metavar="SECONDS",
                   help="ratio = this / the input's exposure time (capped at 300 as in SID)")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="PNG bit depth (default 8)")
    p.add_argument("--keep-sensor-orientation", action="store_true",
                   help="write the picture in the sensor's layout instead of turning it as the file's orientation "
                   "(DNG/TIFF Orientation, LibRaw flip) asks")
    p.add_argument("--allow-bad-colour", action="store_true",
                   help="a file whose colour metadata is unusable (singular or absurd matrix, zero white balance, an "
                   "illuminant that does not exist) is rendered with the identity colour and a line says so, instead "
                   "of failing; only neutral models use the metadata")
    p.add_argument("--png-level", type=int, choices=range(10), default=1, metavar="0-9",
                   help="PNG compression level: 1 (default) is fast; 0 stores the pixels uncompressed (files ~1.7x as "
                   "large, encoding nearly free); 9 is smallest and slowest")
    add_runner_options(p)
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.engines.enhance_files import enhance

    model, backend = args.model, args.backend
    if model is not None and model.suffix.lower() == ".json":
        from lowlight_edge.tune.result import read_choice

        model, chosen = read_choice(model)
        backend = backend or chosen  # a backend named on the command line still wins
        say(f"tune result {args.model}: {model} on {backend}")
    with LazyBar(min_total=2, desc="enhance", unit="file") as bar:
        results = enhance(args.inputs, args.output, model, backend, runner_options_from(args), args.ratio,
                          args.reference_exposure, args.bits, args.force, png_level=args.png_level,
                          keep_sensor_orientation=args.keep_sensor_orientation, allow_bad_colour=args.allow_bad_colour,
                          on_file=lambda r, total: (_report(r), bar.update(total=total)), log=say)
    failures = sum(r.error is not None for r in results)
    if failures == len(results):
        say(f"all {failures} file(s) failed; nothing was written")
        return 2
    if failures:
        say(f"{failures} of {len(results)} files failed; the others were written")
        return 2
    return 0


def _report(result) -> None:
    # file names and messages quoting them are escaped whole first: a newline in a name must not forge a line
    if result.error:
        say(f"lowlight-edge: error: {printable(str(result.error))}")
    else:
        width, height = result.size
        turned = f", {NAMES[result.orientation]}" if result.orientation != 1 else ""
        source, target = printable(str(result.source)), printable(str(result.target))
        say(f"{source} -> {target} ({width}x{height}{turned}, ratio {result.ratio:g} from "
            f"{result.ratio_source}, {result.backend})")
