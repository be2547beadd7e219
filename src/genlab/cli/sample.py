"""``genlab sample RUN``: new images from a generator run, as a PNG grid or a .npz data set."""

from genlab.cli.common import add_overwrite_flag, positive_int, seed_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("sample", help="sample new images from a generator run (PNG grid or .npz)")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--n", type=positive_int, default=64, help="number of samples (default: 64)")
    parser.add_argument("--label", type=int, default=None,
                        help="class to draw (conditional runs; default: every class in turn)")
    parser.add_argument("--format", dest="fmt", choices=("png", "npz"), default=None,
                        help="png grid, or npz with x (uint8 images) and y (labels) for augmentation "
                             "(default: from --out's suffix, else png)")
    parser.add_argument("--out", default=None, help="output path (default: RUN/samples.png or RUN/samples.npz)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the latent draws (default: 0)")
    parser.add_argument("--batch-size", type=positive_int, default=256, help="images decoded at once (default: 256)")
    parser.add_argument("--truncation", type=float, default=None,
                        help="truncation psi in [0, 1] for families that take it (StyleGAN): w = w_avg + psi (w - w_avg)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.sample import sample_run

    print(sample_run(args.run, n=args.n, label=args.label, fmt=args.fmt, out=args.out, seed=args.seed,
                     batch_size=args.batch_size, decode_options={"truncation": args.truncation}, overwrite=args.overwrite))
    return 0
