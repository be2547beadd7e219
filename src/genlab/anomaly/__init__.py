"""Anomaly detection on tabular rows: a PyOD-style detector over genlab's reconstruction models,
and the CSV workflow of ``genlab train detector`` / ``genlab detect`` / ``genlab evaluate``."""

from genlab.anomaly.config import DetectorConfig
from genlab.anomaly.detector import AnomalyDetector
from genlab.anomaly.oversampling import VAEOversampler
from genlab.anomaly.workflow import detect_file, evaluate_detector, train_detector

__all__ = ["AnomalyDetector", "DetectorConfig", "VAEOversampler", "detect_file", "evaluate_detector", "train_detector"]
