"""``genlab interpolate RUN``: decode a path between two latents (two test images when the run has an encoder)."""

from genlab.cli.common import add_overwrite_flag, positive_int, seed_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("interpolate", help="decoded interpolation between two test images or random latents")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--from", dest="start", type=int, default=None,
                        help="test image index of the start (runs with an encoder; default: 0)")
    parser.add_argument("--to", dest="end", type=int, default=None, help="test image index of the end (default: 1)")
    parser.add_argument("--steps", type=positive_int, default=10, help="points on the path, endpoints included (default: 10)")
    parser.add_argument("--slerp", action="store_true", help="spherical instead of linear interpolation")
    parser.add_argument("--label", type=int, default=None, help="class for the whole path (conditional runs)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the random endpoints (runs without an encoder)")
    parser.add_argument("--data", default=None, help="data source of the test images (default: the run's)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/interpolation.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.sample import interpolate_run

    print(interpolate_run(args.run, start=args.start, end=args.end, steps=args.steps, spherical=args.slerp,
                          label=args.label, seed=args.seed, data=args.data, out=args.out, overwrite=args.overwrite))
    return 0
