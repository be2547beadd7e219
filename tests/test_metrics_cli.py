"""End to end: a domain classifier and the distribution metrics of generator runs, from the command line."""

import json

import numpy as np
import pytest

from genlab.cli.main import main

DIGITS = ["--data", "digits", "--batch-size", "32", "--quiet"]
GAN = ["--arch", "dense", "--hidden-units", "16", "--latent-dim", "4", "--limit", "64", "--epochs", "1"]


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "clf"
    assert main(["train", "classifier", *DIGITS, "--epochs", "4", "--learning-rate", "3e-3", "--filters", "8", "--latent-dim", "16",
                 "--out", str(out)]) == 0
    return out


def test_train_and_evaluate_a_classifier(classifier_run, capsys):
    assert main(["evaluate", str(classifier_run)]) == 0
    printed = capsys.readouterr().out
    assert "classifier (CNN)" in printed and "nearest class mean (pixels)" in printed
    table = json.loads((classifier_run / "metrics.json").read_text())["evaluation"]["table"]
    assert table["classifier (CNN)"]["accuracy"] > 0.7
    assert main(["evaluate", str(classifier_run), "--features", "random"]) == 2  # not a generator: one-line error
    assert "need a generator run" in capsys.readouterr().err


def test_gan_run_gets_distribution_metrics_with_the_protocol(tmp_path, capsys):
    out = tmp_path / "gan"
    assert main(["train", "gan", *DIGITS, *GAN, "--out", str(out)]) == 0
    assert main(["evaluate", str(out), "--features", "random", "--n", "40", "--metrics", "fid,kid,is,precision_recall",
                 "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "gan (40 generated)" in printed and "real train images (40)" in printed
    assert "features: random" in printed and "vs 40 real test images of digits" in printed
    evaluation = json.loads((out / "metrics.json").read_text())["evaluation"]
    row = evaluation["table"]["gan (40 generated)"]
    assert {"fid", "kid", "kid_std", "is", "is_std", "precision", "recall"} == set(row)
    assert all(np.isfinite(v) for v in row.values())
    protocol = evaluation["protocol"]["distribution"]
    assert protocol["generated"]["n"] == 40 and protocol["generated"]["seed"] == 1
    assert protocol["reference"]["split"] == "test" and protocol["reference"]["size"] == 40
    assert len(protocol["extractor"]["weights_sha256"]) == 64
    assert main(["evaluate", str(out), "--metrics", "fid,lpips", "--features", "random"]) == 2
    assert "unknown metric(s) lpips" in capsys.readouterr().err


def test_conditional_gan_with_a_classifier_run_as_features(classifier_run, tmp_path, capsys):
    out = tmp_path / "cgan"
    assert main(["train", "cgan", *DIGITS, *GAN, "--out", str(out)]) == 0
    assert main(["evaluate", str(out), "--features", str(classifier_run), "--n", "50", "--metrics", "fid",
                 "--no-baseline"]) == 0
    printed = capsys.readouterr().out
    assert "conditional_accuracy" in printed and "classes_covered" in printed
    evaluation = json.loads((out / "metrics.json").read_text())["evaluation"]
    row = evaluation["table"]["cgan (50 generated)"]
    assert 0.0 <= row["conditional_accuracy"] <= 1.0 and 1 <= row["classes_covered"] <= 10
    assert len(evaluation["details"]["generated"]["class_histogram"]) == 10
    assert evaluation["protocol"]["distribution"]["extractor"]["extractor"] == "classifier:clf"
