"""`lowlight-edge synth`: write synthetic low-light DNG frames (with ground truth) from photographs."""

import argparse
from pathlib import Path

from lowlight_edge.commands.common import say
from lowlight_edge.commands.options import add_force
from lowlight_edge.errors import InputError
from lowlight_edge.raw.cameras import CAMERAS, camera
from lowlight_edge.raw.illuminants import illuminant_xy


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "synth", help="write synthetic low-light DNG frames with ground truth",
        description="Simulate short exposures with the project's sensor model (Poisson-Gaussian noise, Sony "
        "a7S II-like levels, 14 bits) and write them as DNG files that any raw converter opens, with the "
        "clean image beside each as a 16-bit PNG. Sources: PNG files you give, or scikit-image's sample "
        "photographs that were held out of the bundled model's training (chelsea, coffee). With --camera, a real "
        "camera's published colour response records the scene under --light, and the DNG carries that camera's "
        "make, model, ColorMatrix1/2, CalibrationIlluminant1/2 and AsShotNeutral, as its own DNG would.",
    )
    p.add_argument("-o", "--output", type=Path, default=None, metavar="OUTDIR", help="folder for the frames (required)")
    p.add_argument("images", nargs="*", type=Path, metavar="PNG", help="clean sRGB images (default: held-out samples)")
    p.add_argument("--iso", type=float, default=3200.0, help="sensor ISO (default 3200)")
    p.add_argument("--ratio", type=float, action="append", default=None,
                   help="exposure ratio(s), cycled over the frames (default 100, 250, 300)")
    p.add_argument("--camera", action="append", default=None,
                   metavar="NAME", help=f"colour response, repeatable, cycled over the frames: {', '.join(CAMERAS)} "
                   "(default identity: camera RGB = linear sRGB); --list-cameras says where each comes from")
    p.add_argument("--light", action="append", default=None, metavar="NAME",
                   help="the light the scene is shot under, repeatable (every camera under every light): A, D50, "
                   "D55, D65, D75 or a colour temperature such as 3200K (default D65)")
    p.add_argument("--list-cameras", action="store_true", help="list the colour responses and their sources, then exit")
    p.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lowlight_edge.raw.synth_frames import synthesize

    if args.list_cameras:
        for profile in CAMERAS.values():
            print(f"{profile.key:<22} {profile.make} {profile.model}: {profile.source}")
        return 0
    if args.output is None:
        raise InputError("synth needs -o/--output, the folder for the frames")
    cameras = [camera(key).key for key in args.camera or ["identity"]]  # unknown names: one line each
    lights = [light.upper() for light in args.light or ["D65"] if illuminant_xy(light)]
    shots = tuple((key, light) for light in lights for key in cameras)
    frames = synthesize(args.output, args.images, args.iso, tuple(args.ratio or (100.0, 250.0, 300.0)), args.seed,
                        args.force, shots=shots)
    for f in frames:
        say(f"wrote {f.dng} ({f.camera} under {f.light}, {f.phase}, ratio {f.ratio:g}, ISO {f.iso:g}) and ground truth "
            f"{f.truth.name}")
    return 0
