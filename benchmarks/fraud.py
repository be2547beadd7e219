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

Supervised part (``--supervised``, on by default; ``--skip-unsupervised`` runs only it): on
the same split per seed, a classifier is trained on the whole training part (a) as is,
(b) plus SMOTE rows (imbalanced-learn; interpolation in standardized units), (c) plus rows
of genlab's ``VAEOversampler`` (a conditional VAE), with the same target ratio minority /
majority for (b) and (c), and scores the untouched test part. Classifiers:
HistGradientBoostingClassifier (the strong default for tabular data) and a standardized
LogisticRegression (a linear model, where oversampling moves the boundary the most).
Reported: ROC-AUC, AP, recall at 1% FPR, F1 at probability 0.5 and fit seconds
(oversampling + classifier), and the paired change of AP and recall against no augmentation
on the same split (it removes the split-to-split spread that dominates the plain std).

    python benchmarks/fraud.py --seeds 5
    python benchmarks/fraud.py --seeds 5 --skip-unsupervised     # only the oversampling table

Needs ``pip install -e ".[bench]"`` for PyOD (torch) and imbalanced-learn; without PyOD the
PyOD row is skipped. Writes benchmarks/results/fraud/{table.md, results.json} (and
{supervised.md, supervised.json} for the supervised part).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
from genlab.tabular import AnomalyDetector
from genlab.tabular.detector import stratified_split
from genlab.models.baselines import PCABaseline
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


# --------------------------------------------------------------------------------------
# Supervised part: a classifier trained on the training rows, with and without synthetic frauds
# --------------------------------------------------------------------------------------


def classifiers(seed):
    """(name, unfitted classifier): gradient boosting and a standardized logistic regression."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return [("HistGradientBoosting", HistGradientBoostingClassifier(random_state=seed)),
            ("LogisticRegression", make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)))]


def smote_rows(frame, labels, ratio, seed):
    """SMOTE (Chawla et al. 2002) in standardized units, returned in the original units."""
    from imblearn.over_sampling import SMOTE
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(frame.to_numpy())
    z, y = SMOTE(sampling_strategy=ratio, random_state=seed).fit_resample(scaler.transform(frame.to_numpy()), labels)
    return pd.DataFrame(scaler.inverse_transform(z), columns=frame.columns), y


def vae_rows(frame, labels, ratio, seed, options):
    from genlab.tabular import VAEOversampler

    return VAEOversampler(sampling_strategy=ratio, seed=seed, **options).fit_resample(frame, labels)


def run_supervised(name, frame, labels, seeds, ratio, vae_options, full_prevalence=None):
    """{classifier: {augmentation: [figures per seed]}} on the split of :func:`run_dataset`."""
    from sklearn.metrics import f1_score

    augmentations = {"none": None, "SMOTE": smote_rows,
                     "genlab VAEOversampler": lambda f, y, r, s: vae_rows(f, y, r, s, vae_options)}
    results: dict = {}
    for seed in range(seeds):
        train_rows, test_rows = stratified_split(labels, 0.3, seed)  # the split of the unsupervised part
        train_frame, train_labels = frame.iloc[train_rows].reset_index(drop=True), labels[train_rows]
        test_frame, test_labels = frame.iloc[test_rows], labels[test_rows]
        for augmentation, resample in augmentations.items():
            started = time.perf_counter()
            x, y = (train_frame, train_labels) if resample is None else resample(train_frame, train_labels, ratio, seed)
            resample_seconds = time.perf_counter() - started
            for classifier_name, classifier in classifiers(seed):
                started = time.perf_counter()
                classifier.fit(x, y)
                fit_seconds = resample_seconds + time.perf_counter() - started
                scores = classifier.predict_proba(test_frame)[:, 1]
                figures = detection_metrics(test_labels, scores)
                row = {"roc_auc": figures["roc_auc"], "ap": figures["average_precision"],
                       "recall@1%fpr": figures["recall_at_1pct_fpr"],
                       "f1@0.5": float(f1_score(test_labels, scores >= 0.5)), "fit_s": fit_seconds,
                       "train_rows": len(y), "train_minority": int(np.sum(y == 1))}
                if full_prevalence:
                    row["ap@0.17%"] = prevalence_weighted_ap(test_labels, scores, full_prevalence)
                results.setdefault(classifier_name, {}).setdefault(augmentation, []).append(row)
                say(f"  {name} seed {seed}: {classifier_name} + {augmentation}: "
                    + ", ".join(f"{k} {v:.4g}" for k, v in row.items()))
    return results


def supervised_table(results, prevalence):
    """One row per classifier + augmentation; the last columns are the paired change against no
    augmentation on the same split (mean ± std over seeds, and on how many seeds it went up)."""
    rows = []
    for classifier_name, by_augmentation in results.items():
        summary = summarize(by_augmentation)
        baseline = by_augmentation["none"]
        for row, (augmentation, runs) in zip(summary, by_augmentation.items()):
            row["method"] = f"{classifier_name} + {augmentation}"
            row["train_minority"] = str(runs[0]["train_minority"])
            for key in ("ap", "recall@1%fpr"):
                change = np.array([r[key] - b[key] for r, b in zip(runs, baseline)])
                row[f"Δ{key}"] = "" if augmentation == "none" else \
                    f"{change.mean():+.3f} ± {change.std():.3f} ({(change > 0).sum()}/{len(change)} up)"
        rows += summary
    columns = ["method", "roc_auc", "ap"] + (["ap@0.17%"] if prevalence else []) + \
        ["recall@1%fpr", "f1@0.5", "fit_s", "train_minority", "Δap", "Δrecall@1%fpr"]
    return markdown_table(rows, columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (splits and initializations)")
    parser.add_argument("--epochs", type=int, default=30, help="epochs of both autoencoders on the credit-card data")
    parser.add_argument("--datasets", default="creditcard,breast_cancer")
    parser.add_argument("--no-pyod", action="store_true", help="skip PyOD even when it is installed")
    parser.add_argument("--supervised", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the supervised part: a classifier with no augmentation, SMOTE, VAEOversampler")
    parser.add_argument("--skip-unsupervised", action="store_true", help="run only the supervised part")
    parser.add_argument("--vae-epochs", type=int, default=None, help="VAEOversampler epochs (default: the library's)")
    parser.add_argument("--vae-beta", type=float, default=None, help="VAEOversampler beta (default: the library's)")
    parser.add_argument("--vae-latent", default=None, help="VAEOversampler latent source: posterior or prior")
    args = parser.parse_args()
    out = results_dir("fraud")
    supervised_report, supervised_results = run_all_supervised(args, out) if args.supervised else ([], {})
    if args.skip_unsupervised:
        return
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
    (out / "table.md").write_text("\n".join(report + supervised_report))
    (out / "results.json").write_text(json.dumps({"seeds": args.seeds, "epochs": args.epochs, "results": everything,
                                                  "supervised": supervised_results}, indent=1))
    say(f"written to {out}")


def run_all_supervised(args, out) -> tuple[list[str], dict]:
    settings = {
        # (loader, target ratio minority / majority for SMOTE and the VAE); the VAE keeps its
        # defaults (about 3,000 steps of batch 128); breast cancer already holds 0.59 malignant
        # per benign row, so its ratio is 1
        "creditcard": (creditcard, 0.5),
        "breast_cancer": (breast_cancer, 1.0),
    }
    report, everything = [], {}
    for name in args.datasets.split(","):
        loader, ratio = settings[name]
        frame, labels = loader()
        vae_options = {"epochs": args.vae_epochs} if args.vae_epochs else {}
        if args.vae_beta is not None:
            vae_options["beta"] = args.vae_beta
        if args.vae_latent:
            vae_options["latent"] = args.vae_latent
        say(f"{name} (supervised): {len(frame)} rows, {labels.sum()} minority; ratio {ratio:g}; {args.seeds} seeds; "
            f"VAE options {vae_options}")
        prevalence = FULL_DATA_PREVALENCE if name == "creditcard" else None
        results = run_supervised(name, frame, labels, args.seeds, ratio, vae_options, prevalence)
        everything[name] = {"ratio": ratio, "vae_options": vae_options, "results": results}
        report.append(f"### {name}, supervised ({len(frame)} rows, {labels.sum()} minority; target ratio {ratio:g}; "
                      f"mean ± std over {args.seeds} seeds)\n\n{supervised_table(results, prevalence)}\n")
        say("\n" + report[-1])
    (out / "supervised.md").write_text("\n".join(report))
    (out / "supervised.json").write_text(json.dumps({"seeds": args.seeds, "results": everything}, indent=1))
    say(f"written to {out}")
    return report, everything


if __name__ == "__main__":
    main()
