"""``genlab style-mix RUN``: a StyleGAN style-mixing grid (coarse styles from rows, fine from columns)."""

from genlab.cli.common import add_overwrite_flag, positive_int, seed_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("style-mix", help="StyleGAN style-mixing grid (PNG)",
                                   description="Each cell takes the styles of layers below --crossover from its "
                                               "row's source (left) and the others from its column's source (top).")
    parser.add_argument("run", help="stylegan run directory")
    parser.add_argument("--rows", type=positive_int, default=4, help="row sources (default: 4)")
    parser.add_argument("--cols", type=positive_int, default=4, help="column sources (default: 4)")
    parser.add_argument("--crossover", type=int, default=2,
                        help="first style layer taken from the column source (default: 2, i.e. the 4x4 layers "
                             "come from the row source)")
    parser.add_argument("--truncation", type=float, default=1.0, help="truncation psi in [0, 1] (default: 1)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the latent draws (default: 0)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/style_mix.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.stylegan import style_mix_run

    print(style_mix_run(args.run, rows=args.rows, columns=args.cols, crossover=args.crossover,
                        truncation=args.truncation, seed=args.seed, out=args.out, overwrite=args.overwrite))
    return 0
