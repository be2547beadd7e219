"""``genlab project RUN --image IMAGE``: the StyleGAN latent w that reproduces an image."""

from genlab.cli.common import add_overwrite_flag, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("project", help="find the StyleGAN latent w that reproduces an image",
                                   description="Optimizes w (starting at the average w) to minimize pixel MSE plus "
                                               "a perceptual distance; writes w (.npy), a PNG (target | "
                                               "reconstruction) and a JSON report beside it.")
    parser.add_argument("run", help="stylegan run directory")
    parser.add_argument("--image", required=True, help="image file (resized to the run's size), or test:N")
    parser.add_argument("--out", default=None, help=".npy path for w (default: RUN/projected_w.npy)")
    parser.add_argument("--steps", type=positive_int, default=200, help="optimization steps (default: 200)")
    parser.add_argument("--learning-rate", type=float, default=0.05, help="Adam step on w (default: 0.05)")
    parser.add_argument("--perceptual", choices=("mobilenet", "none"), default="mobilenet",
                        help="perceptual distance: MobileNet features (offline weights), or none for a "
                             "multi-scale pixel distance (default: mobilenet)")
    parser.add_argument("--perceptual-weight", type=float, default=1.0, help="weight of the perceptual term (default: 1)")
    parser.add_argument("--w-plus", action="store_true", help="one w per layer (W+): closer, less editable")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.stylegan import project_run

    report = project_run(args.run, args.image, out=args.out, steps=args.steps, learning_rate=args.learning_rate,
                         perceptual=args.perceptual, perceptual_weight=args.perceptual_weight, w_plus=args.w_plus,
                         overwrite=args.overwrite)
    print(f"loss {report['initial_loss'][0]:.4f} -> {report['final_loss'][0]:.4f} "
          f"(pixel MSE {report['final_pixel_mse'][0]:.4f}); w saved in {report['latent']}, "
          f"comparison in {report['comparison']}")
    return 0
