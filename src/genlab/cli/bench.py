"""``genlab bench``: training throughput of each family on synthetic data (no data set needed).

Prints the devices TensorFlow sees, one line per family as it finishes, then a table
(family, input shape, batch, images/s, ms/step, precision, device); ``--json OUT`` also
writes the rows. See :mod:`genlab.workflows.bench` for what is measured.
"""

from genlab.cli.common import add_overwrite_flag, positive_int
from genlab.core.io import check_output_path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("bench", help="training images/s of each family on synthetic data")
    parser.add_argument("--families", default="all",
                        help="comma-separated: autoencoder (ae), vae, dcgan, wgan-gp, stylegan, detector (default: all)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="seconds timed per family, after the warm-up steps (default: 10)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="one batch size for every family (default: each family's, 128; stylegan 32)")
    parser.add_argument("--precision", default="float32", help="float32, mixed_float16 or mixed_bfloat16 (default: float32)")
    parser.add_argument("--steps-per-execution", type=positive_int, default=1, help="train steps per graph call (default: 1)")
    parser.add_argument("--jit-compile", action="store_true", help="compile train steps with XLA")
    parser.add_argument("--distribute", default="none", help="none, mirrored or multi-worker (default: none)")
    parser.add_argument("--input-shape", default=None, metavar="H,W,C",
                        help="image shape for every image family, e.g. 64,64,3 (default: each family's)")
    parser.add_argument("--json", default=None, metavar="OUT", help="also write the rows to this JSON file")
    add_overwrite_flag(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from genlab.workflows.bench import DEFAULT_SECONDS, format_table, run_bench, tensorflow_devices, write_json

    seconds = DEFAULT_SECONDS if args.seconds is None else args.seconds
    if args.json:  # refused now, not after minutes of measuring
        check_output_path(args.json, overwrite=args.overwrite, flag="--json")
    print(f"TensorFlow sees: {', '.join(tensorflow_devices())}", flush=True)
    rows = run_bench(args.families, seconds=seconds, batch_size=args.batch_size, precision=args.precision,
                     distribute=args.distribute, steps_per_execution=args.steps_per_execution,
                     jit_compile=args.jit_compile, log=lambda line: print(line, flush=True),
                     input_shape=_shape(args.input_shape))
    print()
    print(format_table(rows))
    if args.json:
        settings = {"families": args.families, "seconds": seconds, "batch_size": args.batch_size,
                    "precision": args.precision, "steps_per_execution": args.steps_per_execution,
                    "jit_compile": args.jit_compile, "distribute": args.distribute}
        out = check_output_path(args.json, overwrite=args.overwrite, flag="--json")  # again: it may exist by now
        print(f"written {write_json(rows, out, settings)}")
    return 0


def _shape(text: str | None):
    from genlab.core.errors import GenlabError

    if text is None:
        return None
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise GenlabError(f"--input-shape must look like 64,64,3, got {text!r}") from None
