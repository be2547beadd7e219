"""Entry point of the ``genlab`` command.

Every subcommand module exposes ``add_parser(subparsers)`` and a ``run(args)`` handler
that calls one library function. Errors in what the user gave become one line on stderr
and exit code 2; a diverged training exits with 3; Ctrl-C with 130. SIGTERM (``kill``, a
job scheduler's stop) stops a command as Ctrl-C does, so temporary files are removed and a
training run is marked interrupted; it exits with 143 (130 for training, which says where
its checkpoint is).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading

from genlab.cli import denoise, evaluate, reconstruct, train
from genlab.cli import report, runs
from genlab.cli import interpolate, latent_map, sample, traverse
from genlab.cli import finetune
from genlab.cli import detect
from genlab.cli import edit, project, style_mix
from genlab.cli import translate, upscale
from genlab.cli import bench
from genlab.cli import export
from genlab.cli import serve
from genlab.cli.common import ArgumentParser
from genlab.core.errors import GenlabError

COMMANDS = [train, reconstruct, denoise, evaluate, report, runs, sample, interpolate, latent_map, traverse, finetune, detect,
            style_mix, project, edit, translate, upscale, bench, serve, export]

EPILOG = """examples:
  genlab train autoencoder --data digits --epochs 5 --out runs/ae
  genlab train autoencoder --data mnist --arch conv --latent-dim 32 --loss bce --epochs 10 --out runs/ae
  genlab train autoencoder --data mnist --denoising --noise gaussian:0.5 --out runs/dae
  genlab train autoencoder --resume runs/ae --epochs 20
  genlab reconstruct runs/ae --n 16
  genlab denoise runs/dae --noise gaussian:0.5
  genlab evaluate runs/ae
  genlab train classifier --data mnist --out runs/mnist-clf
  genlab evaluate runs/dcgan --metrics fid,kid,is,precision_recall --n 10000 --features lite0
  genlab evaluate runs/cgan --features runs/mnist-clf
  genlab report runs/ae
  genlab runs runs/
  genlab train vae --data mnist --latent-dim 16 --beta 1.0 --out runs/vae
  genlab train cvae --data fashion_mnist --out runs/cvae
  genlab sample runs/vae --n 64
  genlab sample runs/cvae --n 10000 --label 7 --format npz --out synthetic.npz
  genlab interpolate runs/vae --from 12 --to 345 --steps 10 --slerp
  genlab latent-map runs/vae
  genlab traverse runs/vae --dims 8
  genlab train gan --data mnist --loss non-saturating --out runs/gan
  genlab train dcgan --data cifar10 --filters 64,128,256 --epochs 20 --out runs/dcgan
  genlab train wgan --data fashion_mnist --clip 0.01 --critic-steps 5 --out runs/wgan
  genlab train wgan-gp --data cifar10 --filters 64,128,256 --gp-weight 10 --critic-steps 5 --out runs/wgangp
  genlab train cgan --data mnist --condition hidden --out runs/cgan
  genlab sample runs/cgan --n 64 --label 3
  genlab interpolate runs/dcgan --steps 10
  genlab finetune runs/ae --data fashion_mnist --limit 500 --strategy feature-extraction --out runs/ft-fe
  genlab finetune runs/ae --data fashion_mnist --limit 500 --lr-scale 0.1 --unfreeze gradual --out runs/ft
  genlab train autoencoder --data fashion_mnist --encoder pretrained:lite0 --freeze encoder --out runs/ae-lite0
  genlab train detector --data csv:transactions.csv --label Class --drop Time --out runs/fraud
  genlab detect runs/fraud --data csv:new_transactions.csv --out scores.csv
  genlab evaluate runs/fraud --data csv:labelled_holdout.csv --label Class
  genlab train stylegan --data cifar10 --resolution 32 --out runs/sg
  genlab sample runs/sg --n 64 --truncation 0.7
  genlab style-mix runs/sg --rows 4 --cols 4 --crossover 2 --out mix.png
  genlab finetune runs/sg --data fashion_mnist --limit 1000 --freeze mapping,g:2,d:2 --lr-scale 0.1 --out runs/sg-ft
  genlab project runs/sg --image photo.png --out w.npy
  genlab edit runs/sg --latent w.npy --direction class:3-class:5 --strength 1.5 --out edit.png
  genlab train cyclegan --data-a folder:photos --data-b folder:paintings --crop-size 128 --learning-rate 2e-4 --out runs/cg
  genlab translate runs/cg --input img.png --direction a2b --out out.png
  genlab train pix2pix --data-a folder:sketches --data-b folder:photos --paired --learning-rate 2e-4 --out runs/p2p
  genlab train srgan --data folder:photos --scale 4 --crop-size 96 --learning-rate 1e-4 --out runs/sr
  genlab upscale runs/sr --input small.png --out big.png
  genlab finetune runs/sr --data folder:new_domain --out runs/sr-ft
  genlab export runs/dcgan --format tflite --out exports/dcgan
  genlab train vae --data mnist --track mlflow --out runs/vae-tracked
  genlab serve runs/fraud --port 8000
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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, like Ctrl-C's KeyboardInterrupt: every ``finally``
    runs (:func:`genlab.core.io.atomic_path` removes its temporary file)."""


@contextlib.contextmanager
def sigterm_raises_terminated():
    """While held (in the main thread, where Python runs signal handlers), SIGTERM raises
    :class:`Terminated`; the previous handler is put back afterwards. An ignored SIGTERM stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_IGN or previous is None:
        yield
        return

    def terminate(signum, frame):
        raise Terminated("terminated (SIGTERM)")

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and argument errors answer here, before TensorFlow loads
    _quiet_tensorflow_import()
    from genlab.callbacks.nan_guard import TrainingDiverged

    try:
        with sigterm_raises_terminated():
            return int(args.handler(args) or 0)
    except TrainingDiverged as error:
        print(f"genlab: {error}", file=sys.stderr)
        return 3
    except GenlabError as error:
        print(f"genlab: error: {error}", file=sys.stderr)
        return 2
    except Terminated:
        print("genlab: terminated (SIGTERM); its temporary files were removed", file=sys.stderr)
        return 143
    except KeyboardInterrupt as interruption:  # training (train, finetune) says where its checkpoint is
        from genlab.callbacks.interrupt import TrainingInterrupted

        detail = str(interruption) if isinstance(interruption, TrainingInterrupted) else "interrupted"
        print(f"genlab: {detail}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
