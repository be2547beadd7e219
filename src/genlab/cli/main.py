"""Entry point of the ``genlab`` command.

Every subcommand module exposes ``add_parser(subparsers)`` and a ``run(args)`` handler
that calls one library function. Errors in what the user gave become one line on stderr
and exit code 2; a diverged training exits with 3; Ctrl-C with 130.
"""

from __future__ import annotations

import sys

from genlab.cli import denoise, evaluate, reconstruct, train
from genlab.cli.common import ArgumentParser

COMMANDS = [train, reconstruct, denoise, evaluate]

EPILOG = """examples:
  genlab train autoencoder --data digits --epochs 5 --out runs/ae
  genlab train autoencoder --data mnist --arch conv --latent-dim 32 --loss bce --epochs 10 --out runs/ae
  genlab train autoencoder --data mnist --denoising --noise gaussian:0.5 --out runs/dae
  genlab train autoencoder --resume runs/ae --epochs 20
  genlab reconstruct runs/ae --n 16
  genlab denoise runs/dae --noise gaussian:0.5
  genlab evaluate runs/ae
offline data: put mnist.npz, fashion_mnist.npz or cifar10_jpeg.npz in $GENLAB_DATA (or ~/.genlab/data)."""


def _quiet_tensorflow_import() -> None:
    """Import TensorFlow with its C++ start-up banner (oneDNN notices) kept off the terminal.

    What TensorFlow wrote is shown only if the import fails.
    """
    import os
    import tempfile

    if "tensorflow" in sys.modules:
        return
    with tempfile.TemporaryFile() as capture:
        saved = os.dup(2)
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            capture.seek(0)
            sys.stderr.write(capture.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def build_parser() -> ArgumentParser:
    import argparse

    import genlab

    parser = ArgumentParser(prog="genlab", description="Generative deep-learning models on Keras 3.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"genlab {genlab.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                       parser_class=ArgumentParser)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    _quiet_tensorflow_import()
    from genlab.callbacks.nan_guard import TrainingDiverged
    from genlab.errors import GenlabError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except TrainingDiverged as error:
        print(f"genlab: {error}", file=sys.stderr)
        return 3
    except GenlabError as error:
        print(f"genlab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("genlab: interrupted; the last finished epoch is checkpointed (continue with --resume RUN)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
