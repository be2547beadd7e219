"""Tabular rows: :class:`AnomalyDetector` (PyOD's contract: ``fit``, ``decision_function``,
``threshold_``, ``predict``) over genlab's reconstruction models, and :class:`VAEOversampler`
(imbalanced-learn's ``fit_resample``). The CSV workflow of ``genlab train detector`` /
``genlab detect`` / ``genlab evaluate`` acts on run directories and lives in
:mod:`genlab.workflows.detection`."""

from genlab.tabular.config import DetectorConfig
from genlab.tabular.detector import AnomalyDetector
from genlab.tabular.oversampling import VAEOversampler

__all__ = ["AnomalyDetector", "DetectorConfig", "VAEOversampler"]
