"""``genlab upscale RUN --input SMALL --out BIG``: super-resolve an image of any size with an srgan run."""

from genlab.models.srgan.config import DEFAULT_OVERLAP, DEFAULT_TILE
from genlab.cli.common import add_overwrite_flag, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("upscale", help="upscale an image with an srgan run (any size, tiled)",
                                   description="Upscale one PNG/JPEG image; large images go through in "
                                               "overlapping tiles whose seams are blended.")
    parser.add_argument("run", help="run directory of an srgan run")
    parser.add_argument("--input", required=True, help="low-resolution image (mode RGB or L, as the run's images)")
    parser.add_argument("--out", default=None, help="output PNG or JPEG (default: INPUT_x4.png beside the input)")
    parser.add_argument("--tile", type=positive_int, default=DEFAULT_TILE,
                        help=f"tile size in input pixels (default: {DEFAULT_TILE})")
    parser.add_argument("--overlap", type=int, default=DEFAULT_OVERLAP,
                        help=f"overlap of neighbouring tiles in input pixels (default: {DEFAULT_OVERLAP})")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.translate import upscale_image

    print(upscale_image(args.run, args.input, args.out, tile=args.tile, overlap=args.overlap, overwrite=args.overwrite))
    return 0
