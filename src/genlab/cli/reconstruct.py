"""``genlab reconstruct RUN``: test images above, reconstructions below, as one PNG."""

from genlab.cli.common import add_overwrite_flag, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("reconstruct", help="grid of test images and their reconstructions")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--n", type=positive_int, default=16, help="number of images (default: 16)")
    parser.add_argument("--data", default=None, help="data source (default: the run's)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/reconstructions.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.inference import reconstruct_grid

    print(reconstruct_grid(args.run, n=args.n, data=args.data, out=args.out, overwrite=args.overwrite))
    return 0
