"""``genlab traverse RUN``: one row per latent dimension, swept from -span to +span (what each dimension encodes)."""

from genlab.cli.common import add_overwrite_flag, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("traverse", help="latent traversal grid, one row per latent dimension")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--from", dest="index", type=int, default=None,
                        help="test image whose encoding is the base point (runs with an encoder; default: 0)")
    parser.add_argument("--dims", type=positive_int, default=10,
                        help="rows: the most active dimensions first, when the run has an encoder (default: 10)")
    parser.add_argument("--span", type=float, default=3.0, help="sweep each coordinate over [-span, span] (default: 3)")
    parser.add_argument("--steps", type=positive_int, default=9, help="images per row (default: 9)")
    parser.add_argument("--label", type=int, default=None, help="class (conditional runs)")
    parser.add_argument("--data", default=None, help="data source of the test images (default: the run's)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/traversal.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.sample import traverse_run

    print(traverse_run(args.run, index=args.index, dims=args.dims, span=args.span, steps=args.steps,
                       label=args.label, data=args.data, out=args.out, overwrite=args.overwrite))
    return 0
