"""``genlab translate RUN --input IMG --direction a2b --out OUT``: one image through a cyclegan or pix2pix run."""

from genlab.cli.common import add_overwrite_flag


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("translate", help="translate an image with a cyclegan or pix2pix run",
                                   description="Translate one PNG/JPEG image from one domain to the other.")
    parser.add_argument("run", help="run directory of a cyclegan or pix2pix run")
    parser.add_argument("--input", required=True, help="image to translate (mode RGB or L, as the run's domain)")
    parser.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                        help="a2b: domain A to B (default); b2a: B to A (cyclegan only)")
    parser.add_argument("--out", default=None, help="output PNG or JPEG (default: INPUT_a2b.png beside the input)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.translate import translate_image

    print(translate_image(args.run, args.input, args.out, args.direction, overwrite=args.overwrite))
    return 0
