"""``genlab latent-map RUN``: the test set in latent space, by class; the decoded manifold for a 2-D latent."""

from genlab.cli.common import add_overwrite_flag, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("latent-map", help="2-D map of the test set's latents by class (runs with an encoder)")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--n", type=positive_int, default=2000, help="test images to place (default: 2000)")
    parser.add_argument("--grid", type=positive_int, default=15, help="manifold grid size for a 2-D latent (default: 15)")
    parser.add_argument("--label", type=int, default=None, help="class of the manifold grid (conditional runs; default: 0)")
    parser.add_argument("--data", default=None, help="data source of the test images (default: the run's)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/latent_map.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.sample import latent_map_run

    for path in latent_map_run(args.run, n=args.n, data=args.data, out=args.out, label=args.label, grid=args.grid,
                               overwrite=args.overwrite):
        print(path)
    return 0
