"""A transfer plan: what to copy, freeze and re-weight, applied to a model before training.

:class:`TransferPlan` is plain data (saved in the run's ``metadata.json`` under
``transfer.plan``); :meth:`TransferPlan.prepare` is the ``prepare_model`` hook of
:func:`genlab.workflows.train.train` / :func:`genlab.workflows.train.resume`. It runs once the model and its
optimizers are built and *before* a checkpoint is restored, so a resumed run is prepared
exactly like the original one and then takes its weights and optimizer state from the
checkpoint:

1. copy the pretrained weights from the source run (a copy kept in ``RUN/source/`` makes the
   run independent of the source directory), except the layers named by ``reinit``;
2. freeze the layers named by ``freeze`` (see :mod:`genlab.transfer.freezing`); with
   ``unfreeze="gradual[:EPOCHS]"`` they are released stage by stage
   (:class:`~genlab.transfer.callbacks.GradualUnfreezing`);
3. install the learning-rate scales, warm-up and L2-SP pull on every optimizer
   (:mod:`genlab.transfer.rates`); the L2-SP anchors are the weights after step 1;
4. optionally evaluate on ``source_eval`` source-domain test images after every epoch.
"""

from __future__ import annotations

import dataclasses
import sys

from genlab.core.config import Config, check_choice
from genlab.core.errors import GenlabError
from genlab.core.io import atomic_write_text
from genlab.transfer.callbacks import GradualUnfreezing, SourceDomainEvaluation, gradual_stages
from genlab.transfer.freezing import (
    freeze_summary, parse_spec, resolve_group, select_layers, set_trainable, transfer_groups,
)
from genlab.transfer.rates import install_update_rules, parse_group_scales
from genlab.transfer.weights import copy_weights

STRATEGIES = ("fine-tune", "feature-extraction")
SOURCE_FOLDER = "source"


def parse_unfreeze(text: str) -> int:
    """``none`` -> 0; ``gradual`` -> 1; ``gradual:K`` -> K (epochs between releases)."""
    text = (text or "none").strip().lower()
    if text == "none":
        return 0
    name, _, every = text.partition(":")
    if name != "gradual":
        raise GenlabError(f"unfreeze must be none, gradual or gradual:EPOCHS, got {text!r}")
    try:
        value = int(every) if every else 1
    except ValueError:
        raise GenlabError(f"unfreeze gradual:EPOCHS needs an integer, got {text!r}") from None
    if value <= 0:
        raise GenlabError(f"unfreeze gradual:EPOCHS needs EPOCHS > 0, got {text!r}")
    return value


@dataclasses.dataclass
class TransferPlan(Config):
    """Everything :meth:`prepare` does to a freshly built model (see the module docstring)."""

    source: str | None = None  # source run directory (None: no weights to copy, e.g. genlab train --freeze)
    strategy: str = "fine-tune"
    freeze: str = ""
    reinit: str = ""
    unfreeze: str = "none"
    lr_scale: float = 1.0
    group_lr: str = ""
    block_lr_decay: float = 1.0
    warmup_steps: int = 0
    l2sp: float = 0.0
    source_eval: int = 0

    def validate(self) -> None:
        check_choice("strategy", self.strategy, STRATEGIES)
        parse_spec(self.freeze)
        parse_spec(self.reinit)
        parse_unfreeze(self.unfreeze)
        parse_group_scales(self.group_lr)
        for name in ("lr_scale", "block_lr_decay", "l2sp"):
            if getattr(self, name) < 0:
                raise GenlabError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.warmup_steps < 0 or self.source_eval < 0:
            raise GenlabError("warmup_steps and source_eval must be >= 0")
        if self.reinit and not self.source:
            raise GenlabError("reinit needs a source run to copy the other layers from")
        if self.source_eval and not self.source:
            raise GenlabError("source_eval needs a source run")

    # --------------------------------------------------------------------------------------
    def check(self, model) -> None:
        """Raise GenlabError now if a freeze/reinit spec or group name does not fit ``model``."""
        select_layers(model, self.freeze)
        select_layers(model, self.reinit)
        groups = transfer_groups(model)
        for name in parse_group_scales(self.group_lr):
            resolve_group(groups, name)

    def initial_freeze(self, model) -> str:
        """The freeze spec at epoch 0: ``freeze``, or with gradual unfreezing and no ``freeze``
        every block but the last of each group."""
        if self.freeze or not parse_unfreeze(self.unfreeze):
            return self.freeze
        parts = [f"{group}:-1" for group, blocks in transfer_groups(model).items() if len(blocks) > 1]
        return ",".join(parts)

    def prepare(self, model, run, resume: bool, source_model=None, source_batches=None, verbose: bool = True) -> list:
        """Apply the plan to ``model`` (built, optimizers built); return the callbacks it needs.

        ``source_model``: the source run's model (needed when ``source`` is set);
        ``source_batches``: source-domain test batches (needed when ``source_eval`` is set). The
        run-level workflow (:func:`genlab.workflows.transfer_setup.plan_preparer`) loads both, so
        that this package never loads a run itself."""
        if self.source:
            if source_model is None:
                raise GenlabError("a transfer plan with a source run needs the source model (source_model=...)")
            copy_weights(source_model, model, skip=select_layers(model, self.reinit))
        frozen = select_layers(model, self.initial_freeze(model))
        set_trainable(frozen, False)
        callbacks = []
        every = parse_unfreeze(self.unfreeze)
        if every and frozen:
            stages = gradual_stages(model, [layer for _, layer in frozen])
            callbacks.append(GradualUnfreezing(stages, every, verbose))
        install_update_rules(model, self.lr_scale, self.group_lr, self.block_lr_decay, self.warmup_steps, self.l2sp)
        if self.source_eval:
            if source_batches is None:
                raise GenlabError("a transfer plan with source_eval needs the source-domain batches (source_batches=...)")
            callbacks.append(SourceDomainEvaluation(source_batches))
        summary = freeze_summary(model)
        if verbose:
            print(summary, file=sys.stderr)
        if not resume:
            atomic_write_text(run.path / "transfer_summary.txt", summary + "\n")
        return callbacks
