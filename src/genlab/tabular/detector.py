"""``AnomalyDetector``: rows a reconstruction model trained on normal rows cannot reconstruct.

The contract is PyOD's (Zhao et al. 2019, "PyOD: A Python Toolbox for Scalable Outlier
Detection"): ``fit(X, y=None)``, ``decision_function(X)`` (higher = more abnormal),
``threshold_`` from ``contamination``, ``predict``, ``predict_proba``, ``decision_scores_``
and ``labels_``. The method is the autoencoder detector of Sakurada & Yairi (2014),
"Anomaly Detection Using Autoencoders with Nonlinear Dimensionality Reduction": train on
normal data only, score a row by its reconstruction error.

Pipeline of one row x (D raw features):
  z  = minmax(standardize(log1p(x)))         fitted on training normals (genlab.data.tabular)
  z^ = g_phi(f_theta(z))                      the reconstruction model (genlab's dense autoencoder)
  c_j = (z_j - z^_j)^2  or  |z_j - z^_j|      per-feature contribution (score "mse" / "mae")
  score = 1/D sum_j c_j                       the row's reconstruction error

With the default ``scaling="minmax"`` the training normals span [0, 1], the value range of
the autoencoder's sigmoid output, so a row with a feature beyond anything normal cannot be
reconstructed there, even when it lies along the normal rows' correlations (measured in
benchmarks/fraud.py: this beats z-scores with a linear output on both data sets).
``scaling="standard"`` keeps z-scores and gives the autoencoder a linear output.

Deviations from PyOD: with labels at ``fit``, only the normal rows of the training split
train the model (PyOD ignores ``y``), and the threshold can be chosen on a labelled
validation split for a false-positive rate or a recall instead of ``contamination``.
The default ``contamination`` is 0.01 (PyOD: 0.1), a closer fit to fraud rates.

Any genlab family with ``reconstruct(x, batch_size)`` can be the reconstruction model; a
family that scores rows its own way (a VAE's negative ELBO, say) defines
``score_contributions(x, metric)`` returning per-feature contributions, and the detector
uses that instead of the squared or absolute error.

Scoring speed: for genlab's autoencoder the forward pass z -> z^ runs as one traced
``tf.function`` (one graph for every batch size, so a row's score does not depend on the
batch or chunk it is scored in) over batches of ``SCORING_BATCH`` rows; the rest (error,
mean, top features) is vectorized numpy in float64, in blocks of ``SCORING_BATCH`` rows so
memory stays bounded whatever the number of rows.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import genlab.models.families  # noqa: F401  (the reconstruction families it builds on)
from genlab.callbacks import NanGuard, TrainingDiverged
from genlab.core.config import DataConfig, RunConfig, TrainConfig
from genlab.core.errors import GenlabError
from genlab.core.execution import configure_execution
from genlab.core.io import read_json, write_json
from genlab.core.registry import get_family, register_tabular
from genlab.data.tabular import (
    MISSING_FIX_SCORING,
    TabularPreprocessor,
    as_frame,
    check_values,
    fingerprint,
    numeric_values,
    select_features,
)
from genlab.metrics.detection import (
    contamination_threshold,
    detection_metrics,
    threshold_for_max_fpr,
    threshold_for_recall,
)
from genlab.models.autoencoder import Autoencoder
from genlab.models.capabilities import Reconstructs, ScoresContributions
from genlab.plots import save_curves
from genlab.runs import STATUS_FINISHED, RunDir, environment_metadata, now
from genlab.tabular.config import DetectorConfig, DetectorTrainConfig

#: rows per forward pass and per block of the numpy work when scoring
SCORING_BATCH = 65_536
#: top features are found by k rounds of argmax up to this k, by a full argsort above it
ARGMAX_TOP_FEATURES = 8
STATE_VERSION = 1


def _split_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    model_fields = {f.name for f in dataclasses.fields(DetectorConfig)}
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(options) - model_fields - train_fields)
    if unknown:
        raise GenlabError(f"unknown detector option(s) {', '.join(unknown)}")
    return ({k: v for k, v in options.items() if k in model_fields},
            {k: v for k, v in options.items() if k in train_fields})


def check_labels(y, count: int, first_row: int = 0) -> np.ndarray:
    """Labels as int64 0/1; GenlabError naming the rows that hold anything else."""
    raw = np.asarray(y).reshape(-1)
    if len(raw) != count:
        raise GenlabError(f"{count} rows but {len(raw)} labels")
    numbers = numeric_values(as_frame(raw[:, None], ["label"]), ["label"], first_row, where="the labels",
                             missing_fix="every row needs a label 0 or 1: fill them, or drop those rows")[:, 0]
    bad = np.flatnonzero(~np.isin(numbers, (0, 1)))
    if len(bad):
        rows = ", ".join(str(first_row + b) for b in bad[:5])
        raise GenlabError(f"labels must be 0 (normal) or 1 (anomaly); row_id {rows} hold "
                          f"{', '.join(repr(v) for v in raw[bad[:3]].tolist())}")  # plain 2, not np.int64(2)
    return numbers.astype(np.int64)


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, validation): ``fraction`` of each class held out, seeded."""
    rng = np.random.default_rng(seed)
    train, validation = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]  # no rows: two empty splits
    for value in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == value))
        cut = int(round(fraction * len(rows)))
        validation.append(rows[:cut])
        train.append(rows[cut:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(validation))


@register_tabular("detector")
class AnomalyDetector:
    """PyOD-style anomaly detector over a genlab reconstruction model (see the module docstring).

    ``AnomalyDetector(contamination=0.01, hidden_units=(64, 32), epochs=30)``: keyword options
    are fields of :class:`DetectorConfig` or of :class:`~genlab.core.config.TrainConfig`.
    """

    is_generator = False
    is_conditional = False

    def __init__(self, config: DetectorConfig | dict | None = None, train: TrainConfig | dict | None = None,
                 **options: Any):
        model_options, train_options = _split_options(options)
        if isinstance(config, DetectorConfig):
            config = config.to_dict()
        self.config = DetectorConfig.from_dict({**(config or {}), **model_options})
        if isinstance(train, TrainConfig):
            train = train.to_dict()
        self.train_config = DetectorTrainConfig.from_dict({**(train or {}), **train_options})
        self.model_ = None
        self._forward = None
        self.data_source = "in-memory"

    def __repr__(self) -> str:
        fitted = "fitted" if self.model_ is not None else "not fitted"
        return f"AnomalyDetector({self.config.threshold_method}, {self.config.reconstruction_family}, {fitted})"

    # fitting -----------------------------------------------------------------------------
    def fit(self, X, y=None, verbose: int | str = 0, callbacks: Sequence = ()) -> "AnomalyDetector":
        """Fit on ``X`` (DataFrame or 2-D array). With labels ``y`` (0 normal, 1 anomaly; or the
        ``label`` column of ``X``), hold out a stratified validation split and train on the
        normal rows of the rest; without labels, train on every row."""
        config = self.config
        frame = as_frame(X, config.features or None)
        label = config.label if config.label in frame.columns else None
        if y is None and label is not None:
            y = frame[label]
        present_drop = [c for c in config.drop if c in frame.columns]  # a caller may have removed them already
        features = select_features(frame.columns, config.features, label, present_drop)
        values = numeric_values(frame, features, allow_missing=config.impute == "median")
        labels = None if y is None else check_labels(y, len(frame))
        train_rows, validation_rows = self._split_rows(labels, len(frame))
        self.preprocessor_ = TabularPreprocessor.fit(
            values[train_rows], features, config.label, list(config.drop), config.impute, config.log_transform,
            config.scaling)
        train_z = self.preprocessor_.transform_values(values[train_rows])
        validation_z = self.preprocessor_.transform_values(values[validation_rows])
        validation_labels = None if labels is None else labels[validation_rows]
        self.config = config.replace(input_shape=(len(features),))
        self.model_ = self._build_model()
        self._forward = None
        normal_validation = validation_z if validation_labels is None else validation_z[validation_labels == 0]
        self.history_ = self._train(train_z, normal_validation, verbose, callbacks)
        self.train_rows_ = train_rows
        self.decision_scores_ = self._scores(train_z)
        validation_scores = self._scores(validation_z) if len(validation_z) else np.zeros(0)
        self.threshold_, self.threshold_info_ = self._choose_threshold(validation_scores, validation_labels)
        self.labels_ = (self.decision_scores_ > self.threshold_).astype(np.int64)
        self.score_range_ = (float(self.decision_scores_.min()), float(self.decision_scores_.max()))
        self.validation_ = None
        if validation_labels is not None and len(np.unique(validation_labels)) == 2:
            self.validation_ = detection_metrics(validation_labels, validation_scores, self.threshold_)
        self.fingerprint_ = fingerprint(values)
        return self

    def _split_rows(self, labels: np.ndarray | None, count: int) -> tuple[np.ndarray, np.ndarray]:
        """(training rows, validation rows): with labels, a stratified hold-out and normals only to train."""
        config = self.config
        if labels is None and config.threshold_method != "contamination":
            raise GenlabError(f"--{config.threshold_method.replace('_', '-')} chooses the threshold on labelled rows: "
                              f"give labels (--label COLUMN)")
        if labels is None or config.validation_fraction == 0:
            train_rows, validation_rows = np.arange(count), np.arange(0)
        else:
            train_rows, validation_rows = stratified_split(labels, config.validation_fraction, config.seed)
        if labels is not None:
            train_rows = train_rows[labels[train_rows] == 0]  # the model sees normal rows only
        if len(train_rows) < 2:
            raise GenlabError(f"need at least 2 normal training rows, got {len(train_rows)}")
        return train_rows, validation_rows

    def _build_model(self):
        family = get_family(self.config.reconstruction_family)
        if not issubclass(family.model_class, Reconstructs):
            raise GenlabError(f"family {family.name!r} cannot reconstruct rows; use reconstruction_family autoencoder")
        wanted = {"input_shape": list(self.config.input_shape), "latent_dim": self.config.latent_dim,
                  "seed": self.config.seed, "arch": "dense", "hidden_units": list(self.config.hidden_units),
                  "loss": "mse", "output_activation": "sigmoid" if self.config.scaling == "minmax" else "linear"}
        known = {f.name for f in dataclasses.fields(family.config_class)}
        return family.model_class(family.config_class.from_dict({k: v for k, v in wanted.items() if k in known}))

    def _train(self, train_z: np.ndarray, validation_z: np.ndarray, verbose, callbacks) -> list[dict[str, Any]]:
        import keras

        configure_execution(self.train_config, self.config.seed)
        try:
            model = self.model_
            model.compile_for_training(self.train_config)
            model.build_optimizers()
            guard = NanGuard(type(model).divergence_hint)
            validation = (validation_z, np.zeros(len(validation_z), np.int32)) if len(validation_z) else None
            history = model.fit(
                train_z, np.zeros(len(train_z), np.int32), batch_size=min(self.train_config.batch_size, len(train_z)),
                epochs=self.train_config.epochs, shuffle=True, validation_data=validation,
                callbacks=[guard, *callbacks], verbose=verbose,
            )
            if guard.message:
                raise TrainingDiverged(guard.message)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        losses = {k: v for k, v in history.history.items() if k in ("loss", "val_loss")}  # the objective only
        return [{"epoch": i + 1, **{k: float(v[i]) for k, v in losses.items()}} for i in range(len(losses["loss"]))]

    def _choose_threshold(self, scores: np.ndarray, labels: np.ndarray | None) -> tuple[float, dict[str, Any]]:
        method = self.config.threshold_method
        if method == "contamination":
            threshold = contamination_threshold(self.decision_scores_, self.config.contamination)
            return threshold, {"method": method, "contamination": self.config.contamination,
                               "rule": "percentile 100 * (1 - contamination) of the training scores",
                               "training_rows": len(self.decision_scores_)}
        if method == "max_fpr":
            threshold = threshold_for_max_fpr(scores[labels == 0], self.config.max_fpr)
        else:
            threshold = threshold_for_recall(scores[labels == 1], self.config.target_recall)
        flags = scores > threshold
        return threshold, {
            "method": method, "target": getattr(self.config, method), "validation_rows": len(scores),
            "validation_fpr": float(flags[labels == 0].mean()) if (labels == 0).any() else None,
            "validation_recall": float(flags[labels == 1].mean()) if (labels == 1).any() else None,
        }

    # scoring ------------------------------------------------------------------------------
    def _require_fitted(self) -> None:
        if self.model_ is None:
            raise GenlabError("this detector is not fitted yet: call fit(X) or AnomalyDetector.load(run)")

    @property
    def feature_names_(self) -> list[str]:
        self._require_fitted()
        return list(self.preprocessor_.features)

    def transform(self, X, first_row: int = 0, where: str = "the data") -> np.ndarray:
        """Rows of ``X`` checked and preprocessed exactly as in training (float32, N x D)."""
        values, private = self._values(X, first_row, where)
        return self.preprocessor_.transform_values(values, overwrite=private)

    def _values(self, X, first_row: int = 0, where: str = "the data") -> tuple[np.ndarray, bool]:
        """(the feature values of ``X`` as a checked float64 (N, D) array, whether that array is
        a copy of the caller's that may be overwritten)."""
        self._require_fitted()
        features = self.preprocessor_.features
        allow_missing = self.preprocessor_.impute == "median"
        if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":  # numbers already: no DataFrame needed
            if X.ndim != 2:
                raise GenlabError(f"expected a 2-D table (rows, features), got an array shaped {X.shape}")
            if X.shape[1] != len(features):
                raise GenlabError(f"expected {len(features)} feature columns, got {X.shape[1]}")
            values = X.astype(np.float64, copy=False)
            return check_values(values, features, first_row, allow_missing, where, MISSING_FIX_SCORING), values is not X
        frame = as_frame(X, features)
        self.preprocessor_.check_columns(list(frame.columns), where=where)
        return numeric_values(frame, features, first_row, allow_missing=allow_missing, where=where,
                              missing_fix=MISSING_FIX_SCORING), True

    def _compiled_forward(self):
        """z -> z^ as one traced graph for genlab's autoencoder; None for other families
        (they reconstruct through their own ``reconstruct``)."""
        if self._forward is None:
            model = self.model_
            if isinstance(model, Autoencoder) and type(model).reconstruct is Autoencoder.reconstruct:
                import tensorflow as tf

                @tf.function(input_signature=[tf.TensorSpec([None, *model.config.input_shape], tf.float32)])
                def forward(z):
                    return model.decoder(model.encoder(z, training=False), training=False)  # z^ = g(f(z))

                self._forward = forward
            else:
                self._forward = False
        return self._forward or None

    def reconstruct_z(self, z: np.ndarray) -> np.ndarray:
        """The model's reconstruction z^ = g(f(z)) of preprocessed rows ``z`` (float32, N x D)."""
        self._require_fitted()
        z = np.asarray(z, np.float32)
        forward = self._compiled_forward()
        if forward is None:
            return np.asarray(self.model_.reconstruct(z, batch_size=SCORING_BATCH), np.float32).reshape(z.shape)
        if len(z) <= SCORING_BATCH:
            return forward(z).numpy().reshape(z.shape)
        out = np.empty(z.shape, np.float32)
        for start in range(0, len(z), SCORING_BATCH):
            out[start : start + SCORING_BATCH] = forward(z[start : start + SCORING_BATCH]).numpy()
        return out

    def contributions_from_z(self, z: np.ndarray) -> np.ndarray:
        """Per-feature contributions c_j (N x D, float64) for preprocessed rows ``z``."""
        if isinstance(self.model_, ScoresContributions):
            return np.asarray(self.model_.score_contributions(z, self.config.score), np.float64)
        reconstruction = self.reconstruct_z(z)  # z^ = g(f(z))
        error = np.array(z, np.float64).reshape(reconstruction.shape)  # a float64 copy of z
        np.subtract(error, reconstruction, out=error)  # z - z^, in float64
        return np.square(error, out=error) if self.config.score == "mse" else np.abs(error, out=error)

    def _scores(self, z: np.ndarray) -> np.ndarray:
        scores = np.empty(len(z), np.float64)
        for start in range(0, len(z), SCORING_BATCH):
            block = self.contributions_from_z(z[start : start + SCORING_BATCH])
            scores[start : start + SCORING_BATCH] = block.mean(axis=1)  # score = 1/D sum_j c_j
        return scores

    def decision_function(self, X) -> np.ndarray:
        """Anomaly score of each row: its reconstruction error (higher = more abnormal)."""
        values, private = self._values(X)
        scores = np.empty(len(values), np.float64)
        for start in range(0, len(values), SCORING_BATCH):  # blocks: bounded work space, warm caches
            z = self.preprocessor_.transform_values(values[start : start + SCORING_BATCH], overwrite=private)
            scores[start : start + SCORING_BATCH] = self.contributions_from_z(z).mean(axis=1)
        return scores

    def feature_contributions(self, X) -> np.ndarray:
        """Per-feature share of each row's error (N x D); each row sums to its score times D."""
        return self.contributions_from_z(self.transform(X))

    def top_features(self, X, k: int | None = None) -> list[list[str]]:
        """Names of the ``k`` features contributing most to each row's score, largest first."""
        return self.top_feature_names(self.feature_contributions(X), k)

    def top_feature_order(self, contributions: np.ndarray, k: int | None = None) -> np.ndarray:
        """Column indices (N, k) of the ``k`` largest contributions of each row, largest first,
        ties in column order: ``argsort(-contributions, kind="stable")[:, :k]``, found with k
        rounds of argmax when k is small and every contribution finite (the same answer)."""
        contributions = np.asarray(contributions)
        k = self.config.top_features if k is None else k
        k = max(0, min(k, contributions.shape[1]))
        if k > ARGMAX_TOP_FEATURES or not np.isfinite(contributions).all():
            return np.argsort(-contributions, axis=1, kind="stable")[:, :k]
        remaining = np.array(contributions, np.float64)
        order = np.empty((len(remaining), k), np.intp)
        rows = np.arange(len(remaining))
        for i in range(k):
            order[:, i] = np.argmax(remaining, axis=1)  # the first of equal values, as a stable sort
            remaining[rows, order[:, i]] = -np.inf
        return order

    def top_feature_names(self, contributions: np.ndarray, k: int | None = None) -> list[list[str]]:
        order = self.top_feature_order(contributions, k)
        if order.shape[1] == 0:
            return [[] for _ in range(len(order))]
        names = np.asarray(self.feature_names_, dtype=object)
        return names[order].tolist()

    def predict(self, X) -> np.ndarray:
        """1 for rows above ``threshold_`` (anomalies), 0 otherwise."""
        self._require_fitted()
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def probability_from_scores(self, scores: np.ndarray) -> np.ndarray:
        low, high = self.score_range_
        outlier = np.clip((np.asarray(scores, np.float64) - low) / max(high - low, 1e-12), 0.0, 1.0)
        return np.column_stack([1.0 - outlier, outlier])  # PyOD's "linear": min-max over training scores

    def predict_proba(self, X) -> np.ndarray:
        """(N, 2): [P(normal), P(anomaly)], PyOD's linear method (training scores min-max scaled, clipped)."""
        self._require_fitted()
        return self.probability_from_scores(self.decision_function(X))

    # saving -------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything fitted except the network weights and the preprocessing, as plain JSON."""
        return {
            "format_version": STATE_VERSION,
            "reconstruction": {"family": self.model_.family, "config": self.model_.config.to_dict()},
            "threshold": self.threshold_,
            "threshold_rule": self.threshold_info_,
            "training_scores": {"count": len(self.decision_scores_), "min": self.score_range_[0],
                                "max": self.score_range_[1], "mean": float(np.mean(self.decision_scores_)),
                                "flagged": int(self.labels_.sum())},
            "validation": self.validation_,
        }

    def save(self, path: str | Path):
        """Write a new run directory (config.json, detector.json, preprocessing.json, weights/)."""
        self._require_fitted()
        run = RunDir.create(path)
        run.save_config(RunConfig(family="detector", model=self.config, data=DataConfig(source=self.data_source),
                                  train=self.train_config))
        self.preprocessor_.save(run.path / "preprocessing.json")
        write_json(run.path / "detector.json", self.state())
        run.save_weights(self.model_)
        run.write_history(self.history_)
        save_curves(run.plots_dir / "loss_curves.png", self.history_, title="detector training (normal rows)")
        run.update_metadata(
            family="detector", seed=self.config.seed, command=sys.argv, created=now(), status=STATUS_FINISHED,
            epochs_done=len(self.history_), environment=environment_metadata(),
            data={"source": self.data_source, "fingerprint": self.fingerprint_, "training_rows": len(self.train_rows_),
                  "features": self.feature_names_},
        )
        return run

    @classmethod
    def load(cls, path: str | Path) -> "AnomalyDetector":
        """Rebuild a fitted detector from a run directory written by :meth:`save`."""
        run = RunDir.open(path)
        config = run.load_config()
        if config.family != "detector":
            raise GenlabError(f"run {str(run.path)!r} holds a {config.family!r} model, not an anomaly detector")
        state = read_json(run.path / "detector.json", "detector state")
        if state.get("format_version") != STATE_VERSION:
            raise GenlabError(f"detector state in {str(run.path)!r} is not version {STATE_VERSION}")
        detector = cls(config.model, config.train)
        detector.data_source = config.data.source
        detector.preprocessor_ = TabularPreprocessor.load(run.path / "preprocessing.json")
        family = get_family(state["reconstruction"]["family"])
        detector.model_ = family.model_class(family.config_class.from_dict(state["reconstruction"]["config"]))
        detector.model_.build_all()
        run.load_weights(detector.model_)
        detector.threshold_ = float(state["threshold"])
        detector.threshold_info_ = state["threshold_rule"]
        detector.score_range_ = (float(state["training_scores"]["min"]), float(state["training_scores"]["max"]))
        detector.validation_ = state.get("validation")
        detector.history_ = run.history()
        detector.decision_scores_ = detector.labels_ = None  # training scores are not stored; see detector.json
        return detector
