"""``genlab train detector``: the train sub-command of families whose data are tables
(:func:`genlab.core.registry.register_tabular`), added by :mod:`genlab.cli.train`.

Flags: ``--data csv:PATH|parquet:PATH``, ``--out``, ``--config``, ``--set``, the training
flags, and one flag per field of the family's config (``--label``, ``--drop``,
``--features``, ``--impute``, ``--contamination``, ``--max-fpr``, ``--target-recall``, ...).
A detector trains in one go: there is no ``--resume``.
"""

from __future__ import annotations

import argparse

from genlab.cli.common import add_dataclass_flags, config_sections, given, require
from genlab.core.config import apply_overrides


def add_family_parser(family_parsers, family) -> None:
    from genlab.tabular.config import DetectorTrainConfig

    sub = family_parsers.add_parser(family.name, aliases=list(family.aliases), help=family.description,
                                    description=f"Train {family.name}: {family.description}.")
    group = sub.add_argument_group("run")
    group.add_argument("--out", help="new run directory to create")
    group.add_argument("--config", metavar="FILE", help="JSON or TOML file with model/data/train sections")
    group.add_argument("--set", metavar="KEY=VALUE", action="append", default=[],
                       help="override any config value, e.g. --set model.contamination=0.02 (repeatable)")
    group.add_argument("--quiet", action="store_true", help="no per-epoch progress output")
    sub.add_argument_group("data").add_argument(
        "--data", dest="source", default=None, help="table with a header row: csv:PATH or parquet:PATH")
    train_names = add_dataclass_flags(sub.add_argument_group("training"), DetectorTrainConfig)
    model_names = add_dataclass_flags(sub.add_argument_group(f"{family.name} model"), family.config_class,
                                      skip=family.config_class.data_fields)
    sub.set_defaults(handler=run, family_name=family.name, train_names=train_names, model_names=model_names)


def run(args: argparse.Namespace) -> int:
    from genlab.workflows.detection import train_detector

    require(bool(args.out), "--out RUN_DIR is required")
    values = config_sections(args.config, args.family_name)
    values["model"].update(given(args, args.model_names))
    values["train"].update(given(args, args.train_names))
    if args.source:
        values["data"]["source"] = args.source
    values = apply_overrides(values, args.set)
    require(bool(values["data"].get("source")), "--data csv:PATH (or parquet:PATH) is required")
    run_dir = train_detector(values["data"]["source"], args.out, model=values["model"], train=values["train"],
                             verbose=0 if args.quiet else "auto")
    print(f"run saved in {run_dir.path}")
    return 0
