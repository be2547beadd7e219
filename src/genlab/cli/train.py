"""``genlab train FAMILY``: flags come from the family's config dataclass, plus the shared
data and training flags. ``--resume RUN`` continues an interrupted run exactly.

Ctrl-C saves a checkpoint after the current step and exits with code 130, printing one line
with the checkpoint and the ``--resume`` command (no traceback)."""

from __future__ import annotations

import argparse
import sys

from genlab.cli.common import add_dataclass_flags, config_sections, given, require
from genlab.core.config import DataConfig, TrainConfig, apply_overrides
import genlab.models  # noqa: F401  (declares every image family: configs only, no TensorFlow)
import genlab.tabular  # noqa: F401  (declares the tabular detector)
from genlab.cli import train_tabular
from genlab.core.registry import families, tabular_families

DATA_HELP = "data source: digits (built in), mnist, fashion_mnist, cifar10, folder:PATH, npz:PATH"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a model family into a run directory",
                                   description="Train a model. One sub-command per model family.")
    family_parsers = parser.add_subparsers(dest="family", metavar="FAMILY", required=True)
    for family in tabular_families():  # tables, not images: their own flags (cli/train_tabular.py)
        train_tabular.add_family_parser(family_parsers, family)
    for family in families():
        sub = family_parsers.add_parser(family.name, aliases=list(family.aliases), help=family.description,
                                        description=f"Train {family.name}: {family.description}.")
        group = sub.add_argument_group("run")
        group.add_argument("--out", help="new run directory to create")
        group.add_argument("--resume", metavar="RUN", help="continue the run in RUN from its last checkpoint")
        group.add_argument("--config", metavar="FILE", help="JSON or TOML file with model/data/train sections")
        group.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                           help="override any config value, e.g. --set model.latent_dim=8 (repeatable)")
        group.add_argument("--quiet", action="store_true", help="no per-epoch progress output")
        group.add_argument("--track", choices=("mlflow",), default=None,
                           help="also log params, metrics, sample grids and weights to MLflow (./mlruns, or "
                                "$MLFLOW_TRACKING_URI); needs pip install 'genlab[track]'")
        group.add_argument("--freeze", metavar="SPEC", default=None,
                           help="keep these parts frozen, e.g. encoder (a pretrained backbone); see genlab finetune --help")
        data_group = sub.add_argument_group("data")
        data_group.add_argument("--data", "--data-a", dest="source", default=None,
                                help=f"{DATA_HELP} (default: digits); domain A of image-to-image families")
        data_group.add_argument("--limit", default=None, help="use at most N training images")
        data_names = add_dataclass_flags(data_group, DataConfig, skip=("source", "limit"))
        train_group = sub.add_argument_group("training")
        train_names = add_dataclass_flags(train_group, TrainConfig)
        model_group = sub.add_argument_group(f"{family.name} model")
        model_names = add_dataclass_flags(model_group, family.config_class, skip=family.config_class.data_fields)
        sub.set_defaults(handler=run, family_name=family.name, train_names=train_names, model_names=model_names,
                         data_names=["source", "limit", *data_names])


def run(args: argparse.Namespace) -> int:
    from genlab.callbacks.interrupt import TrainingInterrupted

    try:
        return _train(args)
    except TrainingInterrupted as interruption:
        print(f"genlab: {interruption}", file=sys.stderr)
        return 130


def _train(args: argparse.Namespace) -> int:
    from genlab.workflows import train as training

    model_values = given(args, args.model_names)
    data_values = given(args, args.data_names)
    train_values = given(args, args.train_names)
    verbose = 0 if args.quiet else "auto"
    if args.resume:
        changed = sorted(set(model_values) | set(data_values) | (set(train_values) - {"epochs"}))
        changed += ["freeze"] if args.freeze is not None else []
        require(not changed and not args.config and not args.set,
                f"--resume continues a run with its saved config; only --epochs may change (got {', '.join(changed) or '--config/--set'})")
        require(args.out is None or args.out == args.resume, "--resume writes into the resumed run; drop --out")
        epochs = int(train_values["epochs"]) if "epochs" in train_values else None
        run_dir = training.resume(args.resume, epochs=epochs, verbose=verbose, family=args.family_name, track=args.track)
    else:
        require(bool(args.out), "--out RUN_DIR is required (or --resume RUN_DIR)")
        values = config_sections(args.config, args.family_name)
        values["model"].update(model_values)
        values["data"].update(data_values)
        values["train"].update(train_values)
        values = apply_overrides(values, args.set)
        if args.freeze:
            from genlab.workflows.finetune import train_frozen

            require(args.track is None, "--track is not available with --freeze yet; train without --track")
            run_dir = train_frozen(
                args.family_name, args.out, args.freeze, model=values["model"], data=DataConfig.from_dict(values["data"]),
                train=TrainConfig.from_dict(values["train"]), verbose=verbose,
            )
        else:
            run_dir = training.train(
                args.family_name, args.out, model=values["model"],
                data=DataConfig.from_dict(values["data"]), train=TrainConfig.from_dict(values["train"]), verbose=verbose,
                track=args.track,
            )
    print(f"run saved in {run_dir.path}")
    return 0
