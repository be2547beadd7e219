"""Anomaly detection on real credit-card transactions and on breast-cancer data: genlab's
autoencoder detector beside PyOD's AutoEncoder, scikit-learn's IsolationForest and PCA.

Protocol, per seed: stratified 70/30 split of the labelled rows; every method is fitted on
the normal rows of the training part only and scores the whole test part. The baselines
get the same preprocessing the detector fits for itself (log1p of skewed non-negative
columns, then standardization, fitted on training normals). Reported: mean +- std over the
seeds of ROC-AUC, average precision (AP), recall at 1% false-positive rate, fit seconds and
scoring rows per second (in memory, on the test part).

Data:
* credit card: ``creditcard_fraud_subset.npz`` (real rows of the Kaggle/ULB data), the
  normals of the randomly sampled sources 0, 1, 4, 5 (12,325) and all 473 frauds; ``Time``
  dropped. Its fraud share (3.7%) is far above the full data's 0.17%, which inflates AP, so
  AP is also given re-weighted to the full data's prevalence (``AP@0.17%``: normal rows
  weighted so that frauds are 492 of 284,807), the setting of the published figures
  (autoencoder AP 0.30, PCA 0.69 on the full data).
* breast cancer: scikit-learn's Wisconsin data, malignant (212) = anomalous, benign (357) normal.

    python benchmarks/fraud.py --seeds 5

Needs ``pip install -e ".[bench]"`` for PyOD (torch); without it the PyOD row is skipped.
Writes benchmarks/results/fraud/{table.md, results.json}.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.anomaly import AnomalyDetector
from genlab.anomaly.detector import stratified_split
from genlab.baselines import PCABaseline
from genlab.data.sources import find_data_file
from genlab.data.tabular import TabularPreprocessor
from genlab.metrics.detection import detection_metrics

FULL_DATA_PREVALENCE = 492 / 284_807


def creditcard() -> tuple[pd.DataFrame, np.ndarray]:
    path = find_data_file("creditcard_fraud_subset.npz")
    if path is None:
        raise SystemExit("creditcard_fraud_subset.npz not found: set GENLAB_DATA to the shared data folder")
    with np.load(path) as archive:
        x, y, source, columns = archive["X"], archive["y"], archive["source"], archive["columns"]
    keep = np.isin(source, (0, 1, 4, 5)) | (y == 1)  # unbiased normals + every fraud (see the data README)
    frame = pd.DataFrame(x[keep].astype(np.float64), columns=[str(c) for c in columns]).drop(columns="Time")
    return frame, y[keep].astype(np.int64)


def breast_cancer() -> tuple[pd.DataFrame, np.ndarray]:
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    return bunch.data, (bunch.target.to_numpy() == 0).astype(np.int64)  # malignant = anomalous


class Genlab:
    def __init__(self, options: dict):
        self.options = options
        scaling = options.get("scaling", "minmax")
        self.name = "genlab AE detector" + (" (default: minmax, sigmoid)" if scaling == "minmax"
                                             else " (z-scores, linear output)")

    def fit(self, frame, labels, z, seed):
        self.detector = AnomalyDetector(seed=seed, validation_fraction=0.0, **self.options).fit(frame, labels)
        return self

    def score(self, frame, z):
        return self.detector.decision_function(frame)


class PyODAutoEncoder:
    name = "PyOD AutoEncoder"

    def __init__(self, hidden, epochs, batch_size):
        self.hidden, self.epochs, self.batch_size = hidden, epochs, batch_size

    def fit(self, frame, labels, z, seed):
        from pyod.models.auto_encoder import AutoEncoder

        self.model = AutoEncoder(hidden_neuron_list=list(self.hidden), epoch_num=self.epochs,
                                 batch_size=self.batch_size, random_state=seed, verbose=0)
        self.model.fit(z)
        return self

    def score(self, frame, z):
        return self.model.decision_function(z)


class IsolationForestDetector:
    name = "IsolationForest (sklearn)"

    def fit(self, frame, labels, z, seed):
        from sklearn.ensemble import IsolationForest

        self.model = IsolationForest(n_estimators=100, random_state=seed).fit(z)
        return self

    def score(self, frame, z):
        return -self.model.score_samples(z)  # higher = more abnormal


class PCAError:
    def __init__(self, components: int | float):
        self.components = components
        self.name = (f"PCA reconstruction ({components} comp.)" if isinstance(components, int)
                     else f"PCA reconstruction ({components:.0%} var.)")

    def fit(self, frame, labels, z, seed):
        count = self.components
        if isinstance(count, float):  # smallest number of components keeping that share of variance
            variance = np.linalg.svd(z - z.mean(0), compute_uv=False) ** 2
            count = int(np.searchsorted(np.cumsum(variance) / variance.sum(), count) + 1)
        self.used = count
        self.pca = PCABaseline(count, seed=seed).fit(z)
        return self

    def score(self, frame, z):
        return np.mean((z - self.pca.reconstruct(z, clip=None)) ** 2, axis=1)  # squared error per row


def prevalence_weighted_ap(labels, scores, prevalence):
    from sklearn.metrics import average_precision_score

    anomalies, normals = labels.sum(), (1 - labels).sum()
    weight = anomalies * (1 - prevalence) / (prevalence * normals)  # frauds become `prevalence` of the weight
    return float(average_precision_score(labels, scores, sample_weight=np.where(labels == 1, 1.0, weight)))


def run_dataset(name, frame, labels, methods, seeds, full_prevalence=None):
    results = {method.name: [] for method in methods}
    for seed in range(seeds):
        train_rows, test_rows = stratified_split(labels, 0.3, seed)
        normals = train_rows[labels[train_rows] == 0]
        processor = TabularPreprocessor.fit(frame.to_numpy()[normals], list(frame.columns))
        train_z = processor.transform_values(frame.to_numpy()[normals])
        test_frame, test_labels = frame.iloc[test_rows], labels[test_rows]
        test_z = processor.transform_values(frame.to_numpy()[test_rows])
        for method in methods:
            started = time.perf_counter()
            method.fit(frame.iloc[train_rows], labels[train_rows], train_z, seed)
            fit_seconds = time.perf_counter() - started
            started = time.perf_counter()
            scores = method.score(test_frame, test_z)
            score_seconds = time.perf_counter() - started
            figures = detection_metrics(test_labels, scores)
            row = {"roc_auc": figures["roc_auc"], "ap": figures["average_precision"],
                   "recall@1%fpr": figures["recall_at_1pct_fpr"], "fit_s": fit_seconds,
                   "rows_per_s": len(test_rows) / score_seconds}
            if full_prevalence:
                row["ap@0.17%"] = prevalence_weighted_ap(test_labels, scores, full_prevalence)
            results[method.name].append(row)
            say(f"  {name} seed {seed}: {method.name}: " + ", ".join(f"{k} {v:.4g}" for k, v in row.items()))
    return results


def summarize(results):
    rows = []
    for method, runs in results.items():
        if not runs:
            continue
        row = {"method": method}
        for key in runs[0]:
            values = np.array([r[key] for r in runs])
            row[key] = f"{values.mean():.0f} ± {values.std():.0f}" if key in ("rows_per_s",) else \
                f"{values.mean():.3f} ± {values.std():.3f}"
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (splits and initializations)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of both autoencoders on the credit-card data")
    parser.add_argument("--datasets", default="creditcard,breast_cancer")
    parser.add_argument("--no-pyod", action="store_true", help="skip PyOD even when it is installed")
    args = parser.parse_args()
    out = results_dir("fraud")
    try:
        if args.no_pyod:
            raise ImportError
        import pyod  # noqa: F401
        import torch

        torch.set_num_threads(1)  # 2 shared cores: one thread was faster than two here
        have_pyod = True
    except ImportError:
        have_pyod = False
        say("PyOD (or torch) is not installed: the PyOD row is skipped (pip install -e '.[bench]')")
    hidden, latent = (64, 32), 8
    settings = {
        # (epochs, batch size): the small breast-cancer table gets smaller batches so both
        # autoencoders make a comparable number of steps
        "creditcard": (creditcard, args.epochs, 256),
        "breast_cancer": (breast_cancer, 4 * args.epochs, 32),
    }
    report, everything = [], {}
    for name in args.datasets.split(","):
        loader, epochs, batch = settings[name]
        frame, labels = loader()
        network = {"hidden_units": hidden, "latent_dim": latent, "epochs": epochs, "batch_size": batch}
        methods = [Genlab(network), Genlab({**network, "scaling": "standard"})]
        if have_pyod:
            methods.append(PyODAutoEncoder((*hidden, latent), epochs, batch))
        methods += [IsolationForestDetector(), PCAError(latent), PCAError(0.9)]
        say(f"{name}: {len(frame)} rows, {labels.sum()} anomalous, {frame.shape[1]} features; {args.seeds} seeds; "
            f"autoencoders {hidden}+{latent}, {epochs} epochs, batch {batch}")
        prevalence = FULL_DATA_PREVALENCE if name == "creditcard" else None
        results = run_dataset(name, frame, labels, methods, args.seeds, prevalence)
        everything[name] = results
        columns = ["method", "roc_auc", "ap"] + (["ap@0.17%"] if prevalence else []) + \
            ["recall@1%fpr", "fit_s", "rows_per_s"]
        table = markdown_table(summarize(results), columns)
        report.append(f"### {name} ({len(frame)} rows, {labels.sum()} anomalous; mean ± std over {args.seeds} seeds)\n\n"
                      f"{table}\n")
        say("\n" + report[-1])
    (out / "table.md").write_text("\n".join(report))
    (out / "results.json").write_text(json.dumps({"seeds": args.seeds, "epochs": args.epochs, "results": everything},
                                                 indent=1))
    say(f"written to {out}")


if __name__ == "__main__":
    main()
