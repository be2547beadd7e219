import io
import json

import numpy as np
import pandas as pd
import pytest

from genlab.tabular import AnomalyDetector
from genlab.workflows import detection as workflow
from genlab.workflows.detection import detect_file, evaluate_detector, train_detector
from genlab.workflows.detection import TopFeatureFields, _Prefetched, score_lines
from genlab.cli import detect as cli_detect
from genlab.data.tabular import synthetic_table
from genlab.core.errors import GenlabError

TINY = {"hidden_units": [16], "latent_dim": 2, "label": "label", "drop": ["Time"], "top_features": 2}


def with_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(Time=np.arange(len(frame), dtype=float))[["Time", *frame.columns]]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("detector")
    with_time(synthetic_table(300, 30, seed=0)).to_csv(folder / "train.csv", index=False)
    train_detector(f"csv:{folder / 'train.csv'}", folder / "run", model=TINY,
                   train={"epochs": 15, "batch_size": 32, "learning_rate": 3e-3}, verbose=0)
    return folder / "run"


@pytest.fixture
def holdout(tmp_path):
    frame = with_time(synthetic_table(97, 8, seed=1))
    frame.to_csv(tmp_path / "holdout.csv", index=False)
    return frame, tmp_path / "holdout.csv"


def test_training_from_csv_drops_time_and_keeps_the_label_out(run):
    detector = AnomalyDetector.load(run)
    assert detector.feature_names_ == ["f0", "f1", "f2", "f3", "f4", "amount"]
    assert detector.data_source.startswith("csv:") and detector.preprocessor_.ignored == ["Time"]
    config = json.loads((run / "config.json").read_text())
    assert config["family"] == "detector" and config["model"]["label"] == "label" and config["train"]["epochs"] == 15


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_chunked_scoring_equals_in_memory_scoring(run, holdout, tmp_path, kind):
    frame, path = holdout
    if kind == "parquet":
        path = tmp_path / "holdout.parquet"
        frame.to_parquet(path)
    summary = detect_file(run, f"{kind}:{path}", out=tmp_path / "scores.csv", chunk_size=10)
    written = pd.read_csv(tmp_path / "scores.csv")
    assert list(written.columns) == ["row_id", "score", "flag", "top_features"] and summary["rows"] == 105
    detector = AnomalyDetector.load(run)
    expected = detector.decision_function(frame)
    np.testing.assert_array_equal(written["row_id"], np.arange(105))
    np.testing.assert_allclose(written["score"], expected, rtol=1e-5, atol=1e-9)  # float32 network, other batches
    np.testing.assert_array_equal(written["flag"], detector.predict(frame))
    assert written["top_features"].tolist() == [";".join(n) for n in detector.top_features(frame, 2)]
    assert summary["flagged"] == int(written["flag"].sum())


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.assign(f2=f["f2"].astype(object).where(f.index != 42, "n/a?")),
         r"text in numeric column.*'f2' at row_id 42 \('n/a\?'\)"),
        (lambda f: f.assign(f4=f["f4"].where(~f.index.isin([3, 17]))), r"missing values.*'f4' at row_id 3, 17;"),
        (lambda f: f.drop(columns="amount"), r"lacks column\(s\) 'amount'"),
        (lambda f: f.assign(merchant=1), r"'merchant' this run was not trained on"),
    ],
    ids=["text", "missing-value", "missing-column", "extra-column"],
)
def test_bad_csv_gives_a_clear_error_and_no_output(run, holdout, tmp_path, change, message):
    frame, _ = holdout
    change(frame).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(GenlabError, match=message):
        detect_file(run, f"csv:{tmp_path / 'bad.csv'}", out=tmp_path / "scores.csv", chunk_size=40)
    assert not (tmp_path / "scores.csv").exists()


def test_median_imputation_when_asked(holdout, tmp_path):
    frame, _ = holdout
    gaps = frame.assign(f1=frame["f1"].where(frame.index % 10 != 0))
    detector = AnomalyDetector(hidden_units=[8], latent_dim=2, label="label", drop=["Time"], impute="median",
                               epochs=1, validation_fraction=0.0).fit(gaps)
    assert np.isfinite(detector.decision_function(gaps)).all()
    filled = gaps.fillna({"f1": np.median(gaps.loc[detector.train_rows_, "f1"].dropna())})
    np.testing.assert_allclose(detector.decision_function(gaps), detector.decision_function(filled), rtol=1e-6)


def test_evaluation_report(run, holdout):
    _, path = holdout
    result = evaluate_detector(run, data=f"csv:{path}")
    row = next(iter(result["table"].values()))
    assert row["roc_auc"] > 0.9 and 0.0 <= row["average_precision"] <= 1.0
    assert row["tp"] + row["fn"] == 8 and row["tn"] + row["fp"] == 97
    assert {"roc_auc", "average_precision", "precision", "recall", "f1", "recall_at_1pct_fpr"} <= set(row)
    for name in ("roc_curve.png", "pr_curve.png", "score_histogram.png"):
        assert (run / "plots" / name).stat().st_size > 1000
    saved = json.loads((run / "metrics.json").read_text())["evaluation"]
    assert saved["protocol"]["examples"] == 105 and saved["confusion_matrix"]["values"][1][1] == row["tp"]
    validation = evaluate_detector(run)  # no --data: the held-out split of the training table
    assert validation["protocol"]["split"].startswith("validation") and validation["protocol"]["examples"] == 66
    assert next(iter(validation["table"].values()))["roc_auc"] == pytest.approx(
        AnomalyDetector.load(run).validation_["roc_auc"])


def test_reading_engines_and_top_features_option_give_the_same_file(run, holdout, tmp_path):
    pytest.importorskip("pyarrow")
    _, path = holdout
    written = {}
    for engine in ("auto", "pandas"):
        detect_file(run, f"csv:{path}", out=tmp_path / f"{engine}.csv", chunk_size=16, engine=engine)
        written[engine] = (tmp_path / f"{engine}.csv").read_bytes()
    assert written["auto"] == written["pandas"]
    detect_file(run, f"csv:{path}", out=tmp_path / "plain.csv", chunk_size=1000, top_features=0)
    plain, full = pd.read_csv(tmp_path / "plain.csv"), pd.read_csv(tmp_path / "auto.csv")
    assert list(plain.columns) == ["row_id", "score", "flag"]
    pd.testing.assert_frame_equal(plain, full[["row_id", "score", "flag"]])
    with pytest.raises(GenlabError, match="engine must be one of"):
        detect_file(run, f"csv:{path}", out=tmp_path / "x.csv", engine="polars")
    assert cli_detect.CHUNK_SIZE == workflow.CHUNK_SIZE  # the CLI's default is the library's


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "python"])
def test_score_lines_round_trip_scores_and_quote_names(arrow):
    if arrow:
        pytest.importorskip("pyarrow")
    names = ["plain", "with,comma", 'with"quote', "V1"]
    fields = TopFeatureFields(names)
    order = np.array([[1, 0], [2, 3], [1, 0], [3, 0]])
    texts, which = fields(order)
    assert [texts[w] for w in which] == ['"with,comma;plain"', '"with""quote;V1"', '"with,comma;plain"', "V1;plain"]
    scores = np.array([0.1, 1e-7, 123456789.123, 2.5e-12 / 3])
    flags = scores > 1
    lines = bytes(score_lines(7, scores, flags, texts, which, arrow=arrow))
    table = pd.read_csv(io.BytesIO(b"row_id,score,flag,top_features\n" + lines), dtype={"score": str})
    np.testing.assert_array_equal(table["row_id"], [7, 8, 9, 10])
    assert [float(text) for text in table["score"]] == scores.tolist()  # digits that read back exactly
    assert table["score"][0] == "0.1"  # the shortest such digits (%.17g would write 0.10000000000000001)
    np.testing.assert_array_equal(table["flag"], [0, 0, 1, 0])
    assert table["top_features"].tolist() == ["with,comma;plain", 'with"quote;V1', "with,comma;plain", "V1;plain"]
    bare = bytes(score_lines(0, scores[:2], flags[:2], arrow=arrow))
    assert bare.decode().endswith("\n") and [line.split(",") for line in bare.decode().splitlines()] == [
        ["0", "0.1", "0"], ["1", "1e-7" if arrow else "1e-07", "0"]]
    assert bytes(score_lines(0, scores[:0], flags[:0], arrow=arrow)) == b""


def test_reader_thread_hands_over_errors_and_stops_when_left():
    def items():
        yield from range(3)
        raise GenlabError("bad row")

    with _Prefetched(items()) as pieces:
        assert next(pieces) == 0
        with pytest.raises(GenlabError, match="bad row"):
            list(pieces)
    produced = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    prefetched = _Prefetched(endless(), depth=2)
    with prefetched as pieces:
        assert next(pieces) == 0
    assert not prefetched._thread.is_alive() and len(produced) <= 5  # bounded read-ahead, stopped on exit
