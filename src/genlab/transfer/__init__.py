"""Transfer learning for every model family: freezing, learning-rate tools, L2-SP, fine-tuning.

What a family provides: :meth:`GenerativeModel.transfer_blocks` (freezable groups of ordered
blocks; the default derives them from ``networks()``) and optionally the class attribute
``transfer_feature_extraction`` (what ``--strategy feature-extraction`` freezes by default).

* :mod:`~genlab.transfer.freezing`: freeze specs (``encoder``, ``mapping,g:2,d:2``,
  ``g:-1``, ``re:PATTERN``), :func:`freeze`, :func:`unfreeze_all`, :func:`freeze_summary`;
* :mod:`~genlab.transfer.rates`: global / per-group / per-block learning-rate scales, warm-up
  and the L2-SP pull toward pretrained weights, installed on any optimizer
  (:func:`install_update_rules`, :class:`UpdateRule`);
* :mod:`~genlab.transfer.callbacks`: :class:`GradualUnfreezing`, :class:`SourceDomainEvaluation`;
* :mod:`~genlab.transfer.weights`: :func:`copy_weights` layer by layer, naming a layer that
  does not fit;
* :mod:`~genlab.transfer.plan`: :class:`TransferPlan`, the ``prepare_model`` hook of
  :func:`genlab.workflows.train.train` (also re-applied by ``--resume``).
The run-level side (``genlab finetune``: load the source run, check, train) is
:func:`genlab.workflows.finetune.finetune`; this package works on models in hand.

Using it from another family's code (e.g. a StyleGAN fine-tuning benchmark)::

    from genlab.workflows.finetune import finetune
    run = finetune("runs/sg", "runs/sg-ft", data="fashion_mnist", limit=1000,
                   freeze="mapping,g:2,d:2", lr_scale=0.1)

or, on a model in hand (optimizers built)::

    from genlab.transfer import freeze, install_update_rules
    freeze(model, "d:2")
    install_update_rules(model, lr_scale=0.1)
"""

from genlab.transfer.callbacks import GradualUnfreezing, SourceDomainEvaluation, gradual_stages
from genlab.transfer.freezing import freeze, freeze_summary, parse_spec, select_layers, unfreeze_all
from genlab.transfer.plan import STRATEGIES, TransferPlan, parse_unfreeze
from genlab.transfer.rates import UpdateRule, install_update_rules, parse_group_scales, variable_scales
from genlab.transfer.weights import IncompatibleWeights, copy_weights, match_weights

__all__ = [
    "GradualUnfreezing", "IncompatibleWeights", "STRATEGIES", "SourceDomainEvaluation", "TransferPlan",
    "UpdateRule", "copy_weights", "freeze", "freeze_summary", "gradual_stages",
    "install_update_rules", "match_weights", "parse_group_scales", "parse_spec", "parse_unfreeze",
    "select_layers", "unfreeze_all", "variable_scales",
]
