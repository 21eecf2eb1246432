"""`lowlight-edge enhance`: RAW files in, PNG images out, with any model kind."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import add_force, add_runner_options, runner_options, say


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "enhance", help="enhance RAW files to PNG with any model",
        description="Enhance low-light RAW files (any Bayer RAW LibRaw opens: ARW, DNG, NEF, CR2, ...) to 8- or "
        "16-bit PNG. The model can be a checkpoint (PyTorch), an ONNX file (ONNX Runtime) or the bundled "
        "default. The amplification ratio comes from --ratio, else from --reference-exposure / the file's "
        "exposure, else from a SID-style file name (10019_00_0.033s.ARW).",
    )
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="RAW files or folders of RAW files")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUTDIR", help="folder for the PNG files")
    p.add_argument("--model", type=Path, default=None, help="checkpoint or ONNX (default: the bundled model)")
    p.add_argument("--backend", default=None, help="force a backend (ort-cpu, ort-cuda, torch-cpu, ...)")
    p.add_argument("--ratio", type=float, default=None, help="amplification ratio (e.g. 100, 250, 300)")
    p.add_argument("--reference-exposure", type=float, default=None, metavar="SECONDS",
                   help="ratio = this / the input's exposure time (capped at 300 as in SID)")
    p.add_argument("--bits", type=int, choices=(8, 16), default=8, help="PNG bit depth (default 8)")
    add_runner_options(p)
    add_force(p)
    p.set_defaults(handler=run)


def collect_inputs(paths: list[Path]) -> list[Path]:
    from lowlight_edge.errors import InputError
    from lowlight_edge.raw.datasets import raw_files_in

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += raw_files_in(path)
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"input not found: {path}")
    return files


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from lowlight_edge.engines import open_runner
    from lowlight_edge.errors import InputError, LowlightError
    from lowlight_edge.fileio.atomic import check_writable
    from lowlight_edge.fileio.png import write_png
    from lowlight_edge.raw.enhance import enhance_packed
    from lowlight_edge.raw.ratio import resolve_ratio
    from lowlight_edge.raw.reader import read_raw
    from lowlight_edge.weights import default_model

    files = collect_inputs(args.inputs)
    targets = [args.output / f"{f.stem}.png" for f in files]
    if len(set(targets)) != len(targets):
        raise InputError("two inputs share a file name stem; their PNGs would collide in one output folder")
    for target in targets:
        check_writable(target, args.force)
    model = args.model or default_model()
    failures = 0
    with open_runner(model, args.backend, runner_options(args)) as runner:
        for source, target in tqdm(list(zip(files, targets)), desc="enhance", unit="file", disable=len(files) < 2):
            try:
                frame = read_raw(source)
                ratio, origin = resolve_ratio(source, args.ratio, args.reference_exposure, frame.exposure_s)
                rgb = enhance_packed(runner.infer, frame.pack(ratio), runner.size_multiple)
                write_png(target, rgb, bits=args.bits, force=args.force)
            except LowlightError as exc:
                failures += 1
                say(f"lowlight-edge: error: {exc}")
                continue
            say(f"{source} -> {target} ({rgb.shape[1]}x{rgb.shape[0]}, ratio {ratio:g} from {origin}, {runner.backend})")
    if failures:
        say(f"{failures} of {len(files)} files failed; the others were written")
        return 2
    return 0
