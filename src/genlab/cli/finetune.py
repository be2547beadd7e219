"""``genlab finetune RUN --data SOURCE --out NEW``: a new run starting from RUN's weights.

Works for every image family (see :mod:`genlab.transfer`). ``--resume NEW`` continues an
interrupted fine-tuning run with its saved plan.
"""

from __future__ import annotations

import argparse

from genlab.cli.common import positive_int, require
from genlab.cli.train import DATA_HELP


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    return 0 if text.strip() == "0" else positive_int(text)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "finetune", help="fine-tune a trained run on new data (transfer learning)",
        description="Start a new run from RUN's weights: feature extraction (part frozen) or fine-tuning "
                    "(all layers, usually a lower learning rate), with freezing, per-block learning rates, "
                    "warm-up, gradual unfreezing and an L2-SP pull toward the pretrained weights.",
    )
    parser.add_argument("run", nargs="?", metavar="RUN", help="the trained source run")
    parser.add_argument("--out", help="new run directory to create")
    parser.add_argument("--resume", metavar="NEW", help="continue an interrupted fine-tuning run")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch progress output")
    data = parser.add_argument_group("data")
    data.add_argument("--data", help=DATA_HELP)
    data.add_argument("--data-b", help="domain B of image-to-image families")
    data.add_argument("--limit", type=positive_int, help="use at most N training images of the new data")
    transfer = parser.add_argument_group("transfer")
    transfer.add_argument("--strategy", choices=("fine-tune", "feature-extraction"), default="fine-tune",
                          help="feature-extraction: keep the pretrained part frozen (default for an autoencoder: "
                               "its encoder); fine-tune: train every layer (default)")
    transfer.add_argument("--freeze", help="parts to freeze: GROUP, GROUP:N (first N blocks), GROUP:-N (all but "
                                           "the last N), re:PATTERN; comma-separated, e.g. mapping,g:2,d:2")
    transfer.add_argument("--reinit", default="", help="parts to start from fresh random weights, e.g. decoder")
    transfer.add_argument("--unfreeze", default="none",
                          help="none, or gradual[:EPOCHS]: release the frozen blocks one stage every EPOCHS epochs, "
                               "from the output end")
    transfer.add_argument("--lr-scale", type=_non_negative_float, default=1.0,
                          help="multiply every learning rate (e.g. 0.1 for fine-tuning)")
    transfer.add_argument("--group-lr", default="", help="per-group learning-rate scales, e.g. encoder:0.1,decoder:1")
    transfer.add_argument("--block-lr-decay", type=_non_negative_float, default=1.0,
                          help="discriminative rates: each block gets this factor times the rate of the block after it")
    transfer.add_argument("--warmup-steps", type=_non_negative_int, default=0, help="linear learning-rate warm-up steps")
    transfer.add_argument("--l2sp", type=_non_negative_float, default=0.0,
                          help="L2-SP strength alpha: penalty alpha/2 ||w - w_pretrained||^2 against forgetting")
    transfer.add_argument("--source-eval", type=_non_negative_int, default=0,
                          help="evaluate on N source-domain test images after every epoch (source_* in history.csv)")
    training = parser.add_argument_group("training (default: the source run's)")
    training.add_argument("--epochs", type=positive_int)
    training.add_argument("--batch-size", type=positive_int)
    training.add_argument("--learning-rate", type=_non_negative_float, help="base learning rate (before --lr-scale)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from genlab.workflows import train as training
    from genlab.workflows.finetune import finetune

    verbose = 0 if args.quiet else "auto"
    if args.resume:
        require(args.run is None and args.out is None and args.data is None,
                "--resume continues a fine-tuning run with its saved plan; give only --resume NEW [--epochs N]")
        run_dir = training.resume(args.resume, epochs=args.epochs, verbose=verbose)
    else:
        require(bool(args.run), "give the source RUN to fine-tune (or --resume NEW)")
        require(bool(args.out), "--out NEW_RUN is required")
        require(bool(args.data), "--data SOURCE is required: the new data to fine-tune on")
        run_dir = finetune(
            args.run, args.out, data=args.data, data_b=args.data_b, limit=args.limit, strategy=args.strategy,
            freeze=args.freeze, reinit=args.reinit, unfreeze=args.unfreeze, lr_scale=args.lr_scale,
            group_lr=args.group_lr, block_lr_decay=args.block_lr_decay, warmup_steps=args.warmup_steps,
            l2sp=args.l2sp, source_eval=args.source_eval, epochs=args.epochs, batch_size=args.batch_size,
            learning_rate=args.learning_rate, verbose=verbose,
        )
    print(f"run saved in {run_dir.path}")
    return 0
