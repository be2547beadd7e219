"""``genlab export RUN``: the run's inference network as a SavedModel, TFLite or ONNX file set."""

from genlab.cli.common import add_overwrite_flag

FORMATS = ("savedmodel", "tflite", "onnx")  # genlab.workflows.export.FORMATS (kept here: --help loads no TensorFlow)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "export", help="export a run's inference network (SavedModel, TFLite, ONNX)",
        description="Export the network that serves a run: the (EMA) generator or VAE decoder, StyleGAN's "
                    "mapping + synthesis, the SR generator, the translation generators, the autoencoder. "
                    "--out is a new folder with one file (or SavedModel folder) per function and export.json.")
    parser.add_argument("run", help="run directory")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="savedmodel",
                        help="savedmodel (TensorFlow serving), tflite (built-in ops only) or onnx "
                             "(needs pip install 'genlab[export]') (default: savedmodel)")
    parser.add_argument("--out", required=True, help="new folder to write (outside every run directory)")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.export import export_run

    print(f"exported to {export_run(args.run, args.fmt, args.out, overwrite=args.overwrite)}")
    return 0
