"""``genlab edit RUN --latent w.npy --direction class:3-class:5``: move a StyleGAN latent along a direction."""

from genlab.cli.common import add_overwrite_flag, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("edit", help="edit StyleGAN latents along a direction in W (PNG)",
                                   description="Draws w + alpha d for alpha from 0 to --strength, one row per "
                                               "latent. class:A-class:B is the difference of the mean projected w "
                                               "of test images of classes A and B.")
    parser.add_argument("run", help="stylegan run directory")
    parser.add_argument("--latent", required=True, help=".npy file of w (from genlab project)")
    parser.add_argument("--direction", required=True, help="class:A-class:B, class:A (minus the average w) or FILE.npy")
    parser.add_argument("--strength", type=float, default=1.5, help="largest alpha (default: 1.5)")
    parser.add_argument("--columns", type=positive_int, default=5, help="alphas drawn from 0 to --strength (default: 5)")
    parser.add_argument("--per-class", type=positive_int, default=16, help="test images projected per class (default: 16)")
    parser.add_argument("--steps", type=positive_int, default=100, help="projection steps per class (default: 100)")
    parser.add_argument("--perceptual", choices=("mobilenet", "none"), default="mobilenet",
                        help="distance used to project class images (default: mobilenet)")
    parser.add_argument("--out", default=None, help="PNG path (default: RUN/edit.png)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.stylegan import edit_run

    print(edit_run(args.run, args.latent, args.direction, strength=args.strength, columns=args.columns, out=args.out,
                   per_class=args.per_class, steps=args.steps, perceptual=args.perceptual,
                   overwrite=args.overwrite))
    return 0
