"""``genlab denoise RUN``: clean / noisy / denoised test images, as one PNG."""

from genlab.cli.common import add_overwrite_flag, positive_int, seed_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("denoise", help="grid of clean, corrupted and denoised test images")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--noise", default=None, help="gaussian:STD, masking:P or salt_pepper:P (default: the run's)")
    parser.add_argument("--n", type=positive_int, default=8, help="number of images (default: 8)")
    parser.add_argument("--seed", type=seed_int, default=0, help="seed of the corruption (default: 0)")
    parser.add_argument("--data", default=None, help="data source (default: the run's)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/denoised.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.inference import denoise_grid

    print(denoise_grid(args.run, noise=args.noise, n=args.n, data=args.data, out=args.out, seed=args.seed,
                       overwrite=args.overwrite))
    return 0
