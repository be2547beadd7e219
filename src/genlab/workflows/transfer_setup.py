"""The run-level half of a transfer plan: load what :class:`~genlab.transfer.plan.TransferPlan`
needs (the source run's model, its test images) and hand it over, so that
:mod:`genlab.transfer` works on models in hand and never loads a run itself."""

from __future__ import annotations

from genlab.core.errors import GenlabError
from genlab.core.io import write_json
from genlab.data.pipeline import eval_batches
from genlab.data.sources import load_image_data
from genlab.runs import RunDir
from genlab.transfer.plan import SOURCE_FOLDER, TransferPlan
from genlab.workflows.loading import load_run_model


def source_model(plan: TransferPlan, run: RunDir, resume: bool):
    """The source run's model. A new run keeps a copy of the source's weights and config in
    ``RUN/source/`` (so resuming needs no access to the source run); ``--resume`` loads that copy."""
    kept = RunDir(run.path / SOURCE_FOLDER)
    if not resume:
        _, source_config, model = load_run_model(plan.source)
        kept.save_weights(model)
        write_json(kept.config_path, source_config.to_dict())
        return model
    if not kept.config_path.is_file():
        raise GenlabError(f"run {str(run.path)!r} lacks its copy of the source run ({kept.path} is missing)")
    return load_run_model(kept.path)[2]


def source_batches(plan: TransferPlan, run: RunDir):
    """``plan.source_eval`` test images of the source run's data, batched as it was trained."""
    config = RunDir(run.path / SOURCE_FOLDER).load_config()
    data = load_image_data(config.data.source, config.data.limit, config.model.seed)
    images = data.x_test[: plan.source_eval]
    labels = None if data.y_test is None else data.y_test[: plan.source_eval]
    return eval_batches(images, labels, config.train.batch_size, config.model.value_range)


def plan_preparer(plan: TransferPlan):
    """``prepare_model(model, run, resume) -> callbacks`` for :func:`genlab.workflows.train.train`."""

    def prepare(model, run: RunDir, resume: bool) -> list:
        model_from_source = source_model(plan, run, resume) if plan.source else None
        batches = source_batches(plan, run) if plan.source_eval else None
        return plan.prepare(model, run, resume, source_model=model_from_source, source_batches=batches)

    return prepare
