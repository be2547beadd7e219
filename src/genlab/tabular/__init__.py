"""Tabular rows: :class:`AnomalyDetector` (PyOD's contract: ``fit``, ``decision_function``,
``threshold_``, ``predict``) over genlab's reconstruction models, and :class:`VAEOversampler`
(imbalanced-learn's ``fit_resample``). The CSV workflow of ``genlab train detector`` /
``genlab detect`` / ``genlab evaluate`` acts on run directories and lives in
:mod:`genlab.workflows.detection`."""

from genlab.core.lazy import lazy_exports
from genlab.tabular.config import DetectorConfig

__all__ = ["AnomalyDetector", "DetectorConfig", "VAEOversampler"]

# the detector and the oversampler (Keras) load on first use, the config at once
__getattr__ = lazy_exports(__name__, {"AnomalyDetector": "detector", "VAEOversampler": "oversampling"})
