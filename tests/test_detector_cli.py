"""End to end through the command line: train a detector on a CSV, score new rows, evaluate."""

import json

import numpy as np
import pandas as pd
import pytest

from genlab.cli.main import main
from genlab.data.tabular import synthetic_table

TINY = ["--hidden-units", "16", "--latent-dim", "2", "--epochs", "10", "--batch-size", "32", "--quiet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fraud")
    for name, seed, normal, anomalous in (("transactions", 0, 240, 24), ("holdout", 1, 90, 10)):
        frame = synthetic_table(normal, anomalous, seed=seed).rename(columns={"label": "Class"})
        frame.insert(0, "Time", np.arange(len(frame)) * 7.0)
        frame.to_csv(folder / f"{name}.csv", index=False)
    pd.read_csv(folder / "holdout.csv").drop(columns="Class").to_csv(folder / "new.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def trained_run(files):
    out = files / "runs" / "fraud"
    code = main(["train", "detector", "--data", f"csv:{files / 'transactions.csv'}", "--label", "Class",
                 "--drop", "Time", *TINY, "--out", str(out)])
    assert code == 0
    return out


def test_train_detect_evaluate(trained_run, files, capsys):
    assert json.loads((trained_run / "detector.json").read_text())["threshold_rule"]["method"] == "contamination"
    scores = files / "scores.csv"
    assert main(["detect", str(trained_run), "--data", f"csv:{files / 'new.csv'}", "--out", str(scores),
                 "--chunk-size", "16"]) == 0
    assert "scored 100 rows" in capsys.readouterr().out
    written = pd.read_csv(scores)
    assert list(written.columns) == ["row_id", "score", "flag", "top_features"] and len(written) == 100
    labels = pd.read_csv(files / "holdout.csv")["Class"]
    assert written.loc[labels == 1, "score"].median() > written.loc[labels == 0, "score"].quantile(0.9)
    assert main(["evaluate", str(trained_run), "--data", f"csv:{files / 'holdout.csv'}", "--label", "Class"]) == 0
    printed = capsys.readouterr().out
    assert "roc_auc" in printed and "average_precision" in printed and "recall_at_1pct_fpr" in printed
    evaluation = json.loads((trained_run / "metrics.json").read_text())["evaluation"]
    assert next(iter(evaluation["table"].values()))["roc_auc"] > 0.9
    assert (trained_run / "plots" / "roc_curve.png").is_file()


def test_threshold_for_a_target_recall(files, tmp_path):
    out = tmp_path / "recall"
    assert main(["train", "detector", "--data", f"csv:{files / 'transactions.csv'}", "--label", "Class",
                 "--drop", "Time", *TINY, "--epochs", "2", "--target-recall", "0.8", "--out", str(out)]) == 0
    rule = json.loads((out / "detector.json").read_text())["threshold_rule"]
    assert rule["method"] == "target_recall" and rule["validation_recall"] >= 0.8


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["detect", "{run}", "--data", "csv:{tmp}/text.csv", "--out", "{tmp}/s.csv"],
         "text in numeric column(s) of csv:{tmp}/text.csv: 'f1' at row_id 2 ('twelve')"),
        (["train", "detector", "--data", "csv:{files}/transactions.csv", "--label", "Klass", "--out", "{tmp}/r"],
         "column(s) 'Klass' not in csv:"),
        (["train", "detector", "--data", "csv:{files}/transactions.csv", "--max-fpr", "2", "--out", "{tmp}/r"],
         "max_fpr must be in (0, 1), got 2.0"),
        (["evaluate", "{run}", "--data", "csv:{files}/new.csv", "--label", "Class"], "label column 'Class' is not in"),
    ],
    ids=["text-in-csv", "unknown-label", "bad-fpr", "evaluate-without-labels"],
)
def test_bad_input_exits_2_with_one_line(arguments, message, trained_run, files, tmp_path, capsys):
    frame = pd.read_csv(files / "new.csv")
    frame["f1"] = frame["f1"].astype(object)
    frame.loc[2, "f1"] = "twelve"
    frame.to_csv(tmp_path / "text.csv", index=False)
    fill = {"run": str(trained_run), "tmp": str(tmp_path), "files": str(files)}
    assert main([a.format(**fill) for a in arguments]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("genlab: error: ")
    assert message.format(**fill) in error
    assert not (tmp_path / "s.csv").exists()
