"""Loading a run: rebuild its model from ``config.json`` + the family registry, then its weights."""

from __future__ import annotations

from pathlib import Path

from genlab.core.errors import GenlabError
from genlab.core.registry import get_family, is_tabular
from genlab.runs import RunDir


def load_run_model(path: str | Path):
    """Rebuild a run's model from config.json + registry and load its weights.

    Finished runs load ``weights/``; a run without final weights loads its latest checkpoint.
    Returns ``(run_dir, run_config, model)``.
    """
    run = RunDir.open(path)
    config = run.load_config()
    if is_tabular(config.family):  # the anomaly detector: AnomalyDetector.load, genlab detect
        raise GenlabError(f"run {str(run.path)!r} is a {config.family} trained on tables; use genlab detect or "
                          f"genlab evaluate with it")
    family = get_family(config.family)
    model = family.model_class(config.model)
    model.build_all()
    if all((run.weights_dir / f"{name}.weights.h5").is_file() for name in model.networks()):
        run.load_weights(model)
    elif run.latest_checkpoint() is not None:
        model.compile_for_training(config.train)
        model.build_optimizers()
        run.restore_checkpoint(model)
    else:
        raise GenlabError(f"run {str(run.path)!r} has neither final weights nor a checkpoint")
    return run, config, model
