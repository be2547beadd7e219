"""``finetune``: a new run that starts from a trained run's weights, for any model family.

source run ──► rebuild (config + registry + weights) ──► new data: does every layer still fit?
           ──► TransferPlan (copy, re-initialize, freeze, learning rates, L2-SP)
           ──► genlab.workflows.train.train (the same loop, checkpoints and --resume as genlab train)

Strategies (the two approaches of the course):

* ``feature-extraction``: the pretrained part is frozen and only the rest learns; ``freeze``
  defaults to the family's ``transfer_feature_extraction`` (the encoder of an autoencoder).
  With ``reinit="decoder"`` the decoder starts from scratch: the course's recipe of a
  pretrained encoder with a new decoder; ``freeze="decoder", reinit="encoder"`` is the reverse.
* ``fine-tune``: every layer learns (unless ``freeze`` says otherwise), usually with a lower
  learning rate (``lr_scale``), per-block rates, warm-up, gradual unfreezing and L2-SP.

The new run's ``metadata.json`` records the source under ``transfer.source`` (path, family,
config, data fingerprint, genlab version) and the plan under ``transfer.plan``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Sequence

from genlab.core.config import DataConfig
from genlab.core.errors import GenlabError
from genlab.core.registry import get_family
from genlab.transfer.freezing import select_layers
from genlab.transfer.plan import TransferPlan
from genlab.transfer.weights import IncompatibleWeights, match_weights, network_layers
from genlab.workflows import train as training
from genlab.workflows.loading import load_run_model
from genlab.workflows.transfer_setup import plan_preparer


def _group_of(model, qualified: str) -> str | None:
    """The transfer group (a valid ``--reinit`` name) holding the layer ``qualified``."""
    layer = network_layers(model).get(qualified)
    for group, blocks in model.transfer_blocks().items():
        if any(candidate is layer for block in blocks for candidate in block):
            return group
    return None


def reinit_that_fits(source_model, target) -> str | None:
    """The ``--reinit`` spec (groups, comma-separated) after which every other layer of ``target``
    takes the source's weights, or None when re-initializing whole groups does not help."""
    groups: list[str] = []
    while True:
        try:
            match_weights(source_model, target, select_layers(target, ",".join(groups)))
            return ",".join(groups)
        except IncompatibleWeights as error:
            group = _group_of(target, error.layer)
            if group is None or group in groups:
                return None
            groups.append(group)


def _incompatible(source_run, data: str, shape, source_shape, error: GenlabError, reinit: str | None) -> GenlabError:
    advice = [f"use images shaped like the source run's {tuple(source_shape)}"]
    if reinit:
        advice.append(f"re-initialize the parts that do not fit with --reinit {reinit}")
    advice.append("or train a new run with genlab train")
    return GenlabError(
        f"cannot fine-tune run {str(source_run)!r} on {data!r} (images {tuple(shape)}, the run was trained on "
        f"{tuple(source_shape)}): {error}. To fix it: {', '.join(advice)}"
    )


def finetune(
    source_run: str | Path,
    out: str | Path,
    data: str,
    limit: int | None = None,
    data_b: str | None = None,
    strategy: str = "fine-tune",
    freeze: str | None = None,
    reinit: str = "",
    unfreeze: str = "none",
    lr_scale: float = 1.0,
    group_lr: str = "",
    block_lr_decay: float = 1.0,
    warmup_steps: int = 0,
    l2sp: float = 0.0,
    source_eval: int = 0,
    epochs: int | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    verbose: int | str = "auto",
    callbacks: Sequence[Any] = (),
):
    """Fine-tune the run in ``source_run`` on ``data`` into the new run directory ``out``.

    The training settings (optimizer step, batch size, epochs) default to the source run's;
    ``learning_rate`` replaces its base rate, ``lr_scale`` multiplies every rate. Returns the
    new :class:`~genlab.runs.RunDir`. Everything is checked before anything is written:
    a layer that does not fit the new data raises GenlabError naming it and what to do.
    """
    source, source_config, source_model = load_run_model(source_run)
    family = get_family(source_config.family)  # a tabular detector run is refused here, with what to use
    if strategy == "feature-extraction" and not freeze:
        # the family's choice, else the encoder of any encoder-decoder family (VAEs too)
        freeze = family.model_class.transfer_feature_extraction or (
            "encoder" if "encoder" in source_model.transfer_blocks() else "")
        if not freeze:
            raise GenlabError(f"family {family.name!r} has no default part to keep for feature extraction: pass --freeze")
    plan = TransferPlan(
        source=str(source.path.resolve()), strategy=strategy, freeze=freeze or "", reinit=reinit, unfreeze=unfreeze,
        lr_scale=lr_scale, group_lr=group_lr, block_lr_decay=block_lr_decay, warmup_steps=warmup_steps, l2sp=l2sp,
        source_eval=source_eval,
    )
    # the source run's data settings (crops, pairing) with the new images
    data_config = DataConfig.from_dict({**source_config.data.to_dict(), "source": data, "limit": limit,
                                        **({"source_b": data_b} if data_b else {})})
    image_data = training.load_training_data(family.name, data_config, source_config.model.seed)
    source_shape = tuple(source_config.model.input_shape)
    try:
        model_config = training._model_config_for_data(family.name, source_config.model.to_dict(), image_data,
                                                        data_config.crop_size)
        target = family.model_class(model_config)
        target.build_all()
        match_weights(source_model, target, select_layers(target, plan.reinit))
    except IncompatibleWeights as error:  # a layer that does not fit: say which --reinit makes it fit
        raise _incompatible(source.path, data, image_data.image_shape, source_shape, error,
                            reinit_that_fits(source_model, target)) from None
    except GenlabError as error:  # an invalid config for the new data
        raise _incompatible(source.path, data, image_data.image_shape, source_shape, error, None) from None
    plan.check(target)
    if source_eval and tuple(image_data.image_shape) != source_shape:
        raise GenlabError(f"source_eval needs target images shaped like the source's {source_shape}, got {image_data.image_shape}")
    changes = {k: v for k, v in {"epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate}.items()
               if v is not None}
    train_config = source_config.train.replace(**changes)
    source_metadata = source.metadata()
    record = {
        "plan": plan.to_dict(),
        "source": {
            "path": str(source.path.resolve()),
            "family": source_config.family,
            "config": source_config.to_dict(),
            "data": source_metadata.get("data", {}),
            "epochs_done": source_metadata.get("epochs_done"),
            "genlab": source_metadata.get("environment", {}).get("genlab"),
        },
    }
    del source_model, target
    print(f"fine-tuning {family.name} run {str(source.path)!r} ({strategy}) on {data!r}", file=sys.stderr)
    return training.train(
        family.name, out, model=model_config.to_dict(), data=data_config, train=train_config, verbose=verbose,
        callbacks=callbacks, prepare_model=plan_preparer(plan), metadata={"transfer": record},
    )


def train_frozen(family: str, out, freeze_spec: str, model=None, data=None, train=None, verbose="auto"):
    """``genlab train FAMILY --freeze SPEC``: a new run with the named layers frozen from the start
    (e.g. a pretrained backbone). The spec is checked on the model before anything is written;
    ``--resume`` re-applies it (the plan is saved in the run's metadata)."""
    plan = TransferPlan(freeze=freeze_spec)
    family_class = get_family(family)
    data = data or DataConfig()
    values = dict(model or {})
    image_data = training.load_training_data(family_class.name, data, training.model_seed(values))
    config = training._model_config_for_data(family_class.name, values, image_data, data.crop_size)
    plan.check(family_class.model_class(config))
    return training.train(family_class.name, out, model=values, data=data, train=train, verbose=verbose,
                          prepare_model=plan_preparer(plan), metadata={"transfer": {"plan": plan.to_dict()}})
