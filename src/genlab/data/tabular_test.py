import numpy as np
import pandas as pd
import pytest

from genlab.data import tabular
from genlab.data.tabular import (
    TableSource,
    TabularPreprocessor,
    numeric_values,
    select_features,
    signed_log1p,
    synthetic_table,
)
from genlab.core.errors import GenlabError

FEATURES = ["f0", "f1", "f2", "f3", "f4", "amount"]


@pytest.fixture
def table():
    return synthetic_table(60, 4, seed=1)


def write_csv(path, frame):
    frame.to_csv(path, index=False)
    return f"csv:{path}"


def test_sources_read_whole_and_in_chunks(table, tmp_path):
    source = TableSource.parse(write_csv(tmp_path / "t.csv", table))
    assert source.columns() == list(table.columns)
    pd.testing.assert_frame_equal(source.read(), table)
    pieces = list(source.chunks(7, ["f1", "label"]))
    assert [first for first, _ in pieces] == list(range(0, 64, 7))
    joined = pd.concat([frame for _, frame in pieces], ignore_index=True)
    pd.testing.assert_frame_equal(joined, table[["f1", "label"]])
    table.to_parquet(tmp_path / "t.parquet")
    parquet = TableSource.parse(str(tmp_path / "t.parquet"))
    assert parquet.kind == "parquet" and parquet.columns() == list(table.columns)
    assert [len(f) for _, f in parquet.chunks(50)] == [50, 14]


@pytest.mark.parametrize(
    "content, spec, message",
    [
        (None, "tsv:{path}", "csv:PATH or parquet:PATH"),
        (None, "csv:{tmp}/missing.csv", "does not exist"),
        ("1,2,3\n4,5,6\n", "csv:{path}", "no header row"),
        ("a,b,a\n1,2,3\n", "csv:{path}", "duplicate column names"),
        ("", "csv:{path}", "is empty"),
    ],
    ids=["unknown-kind", "missing-file", "no-header", "duplicates", "empty"],
)
def test_bad_sources_name_the_problem(content, spec, message, tmp_path):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(GenlabError, match=message):
        TableSource.parse(spec.format(path=path, tmp=tmp_path)).columns()


def test_feature_selection(table):
    assert select_features(table.columns, label="label", drop=["f0"]) == ["f1", "f2", "f3", "f4", "amount"]
    assert select_features(table.columns, features=["f2", "f1"]) == ["f2", "f1"]
    with pytest.raises(GenlabError, match=r"column\(s\) 'Klass', 'Time' not in"):
        select_features(table.columns, label="Klass", drop=["Time"])
    with pytest.raises(GenlabError, match="is the label"):
        select_features(table.columns, features=["f1", "label"], label="label")


def test_text_missing_and_infinite_cells_are_named(table):
    frame = table.astype({"f2": object})
    frame.loc[[3, 9], "f2"] = ["abc", "1,5"]
    with pytest.raises(GenlabError, match=r"text in numeric column.*'f2' at row_id 13, 19 \('abc', '1,5'\)"):
        numeric_values(frame, FEATURES, first_row=10)
    frame = table.copy()
    frame.loc[[0, 5], "f4"] = np.nan
    with pytest.raises(GenlabError, match=r"missing values.*'f4' at row_id 0, 5; fill them, or pass --impute median"):
        numeric_values(frame, FEATURES)
    assert np.isnan(numeric_values(frame, FEATURES, allow_missing=True)[[0, 5], 4]).all()
    frame.loc[7, "f1"] = np.inf
    with pytest.raises(GenlabError, match=r"infinite values.*'f1' at row_id 7"):
        numeric_values(frame, FEATURES, allow_missing=True)


def test_preprocessing_fits_log1p_and_standardization(table):
    values = numeric_values(table, FEATURES)
    processor = TabularPreprocessor.fit(values, FEATURES, label="label")
    assert processor.log1p == ["amount"]  # the only skewed non-negative column
    z = processor.transform_values(values)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-4)
    logged = signed_log1p(values[:, 5])
    np.testing.assert_allclose(z[:, 5], (logged - logged.mean()) / logged.std(), rtol=1e-4, atol=1e-5)
    assert signed_log1p(np.array([-3.0]))[0] == pytest.approx(-np.log(4.0))  # negatives at scoring stay defined


def test_preprocessing_round_trips_as_json(table, tmp_path):
    values = numeric_values(table, FEATURES)
    processor = TabularPreprocessor.fit(values, FEATURES, label="label", ignored=["Time"])
    processor.save(tmp_path / "p.json")
    loaded = TabularPreprocessor.load(tmp_path / "p.json")
    assert loaded == processor
    np.testing.assert_array_equal(loaded.transform_values(values), processor.transform_values(values))
    assert (tmp_path / "p.json").read_text().startswith("{")  # JSON, no pickle


def test_median_imputation_and_constant_column(table):
    frame = table.copy()
    frame["flat"] = 2.0
    columns = FEATURES + ["flat"]
    values = numeric_values(frame, columns)
    processor = TabularPreprocessor.fit(values, columns, impute="median")
    assert processor.std[-1] == 1.0
    with_gap = values[:3].copy()
    with_gap[1, 2] = np.nan
    filled = processor.transform_values(with_gap)
    expected = (np.median(values[:, 2]) - processor.mean[2]) / processor.std[2]
    assert filled[1, 2] == pytest.approx(expected, rel=1e-5)


def test_scoring_columns_are_checked(table):
    processor = TabularPreprocessor.fit(numeric_values(table, FEATURES), FEATURES, label="label", ignored=["Time"])
    processor.check_columns(["Time", *FEATURES, "label"])
    with pytest.raises(GenlabError, match=r"lacks column\(s\) 'amount'"):
        processor.check_columns(FEATURES[:-1])
    with pytest.raises(GenlabError, match=r"column\(s\) 'merchant' this run was not trained on; .*--drop merchant"):
        processor.check_columns([*FEATURES, "merchant"])
    processor.check_columns([*FEATURES, "merchant"], extra_ignored=["merchant"])


def test_minmax_scaling_maps_training_normals_to_the_unit_range(table, tmp_path):
    values = numeric_values(table, FEATURES)
    processor = TabularPreprocessor.fit(values, FEATURES, scaling="minmax")
    u = processor.transform_values(values)
    np.testing.assert_allclose(u.min(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(u.max(axis=0), 1.0, atol=1e-6)
    beyond = values[:1].copy()
    beyond[0, 2] = values[:, 2].max() + 10 * values[:, 2].std()
    assert processor.transform_values(beyond)[0, 2] > 1.5  # a value beyond every normal one leaves [0, 1]
    processor.save(tmp_path / "p.json")
    np.testing.assert_array_equal(TabularPreprocessor.load(tmp_path / "p.json").transform_values(values), u)
    with pytest.raises(GenlabError, match="scaling must be one of standard, minmax"):
        TabularPreprocessor.fit(values, FEATURES, scaling="robust")


def test_transform_values_in_place_matches_the_copying_path(table):
    values = numeric_values(table, FEATURES)
    processor = TabularPreprocessor.fit(values, FEATURES, scaling="minmax")
    before = values.copy()
    expected = processor.transform_values(values)
    np.testing.assert_array_equal(values, before)  # the default leaves the caller's array alone
    work = values.copy()
    np.testing.assert_array_equal(processor.transform_values(work, overwrite=True), expected)
    assert not np.array_equal(work, before)  # ... and overwrite=True used it as the work space
    ints = np.rint(values).astype(np.int64)
    np.testing.assert_array_equal(processor.transform_values(ints, overwrite=True),
                                  processor.transform_values(ints.astype(np.float64)))


@pytest.mark.parametrize("chunk_size", [7, 64, 1000])
def test_numeric_chunks_are_the_same_with_pyarrow_and_pandas(table, tmp_path, monkeypatch, chunk_size):
    pytest.importorskip("pyarrow")
    monkeypatch.setattr(tabular, "ARROW_BLOCK_BYTES", 1024)  # several pyarrow blocks per chunk and chunks per block
    frame = table.assign(f0=table["f0"] * 1e-3, amount=table["amount"].round(2))
    frame.loc[5, "f1"] = np.nan  # written as an empty cell
    source = TableSource.parse(write_csv(tmp_path / "t.csv", frame))
    pieces = {engine: list(source.numeric_chunks(chunk_size, FEATURES, allow_missing=True, engine=engine))
              for engine in ("pyarrow", "pandas")}
    assert [first for first, _ in pieces["pyarrow"]] == list(range(0, 64, chunk_size))
    assert [first for first, _ in pieces["pandas"]] == [first for first, _ in pieces["pyarrow"]]
    for (_, arrow_values), (_, pandas_values) in zip(pieces["pyarrow"], pieces["pandas"]):
        np.testing.assert_array_equal(arrow_values, pandas_values)
    np.testing.assert_array_equal(np.concatenate([v for _, v in pieces["pyarrow"]]),
                                  numeric_values(pd.read_csv(tmp_path / "t.csv"), FEATURES, allow_missing=True))
    with pytest.raises(GenlabError, match=r"missing values in csv:.*'f1' at row_id 5;"):
        list(source.numeric_chunks(chunk_size, FEATURES))


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_numeric_chunks_name_bad_cells_as_pandas_does(table, tmp_path, monkeypatch, engine):
    pytest.importorskip("pyarrow")
    monkeypatch.setattr(tabular, "ARROW_BLOCK_BYTES", 1024)
    frame = table.astype({"f2": object})
    frame.loc[[41, 47], "f2"] = ["abc", "1,5"]  # past the first pyarrow blocks: pandas reads on from there
    source = TableSource.parse(write_csv(tmp_path / "t.csv", frame))
    seen = []
    message = r"text in numeric column\(s\) of csv:.*'f2' at row_id 41, 47 \('abc', '1,5'\)"
    with pytest.raises(GenlabError, match=message):
        for first, values in source.numeric_chunks(10, FEATURES, engine=engine):
            seen.append(first)
    assert seen == [0, 10, 20, 30]  # every chunk before the bad one, once
    booleans = table.assign(f4=table["f4"] > 0)  # True/False is text in a numeric column, with either reader
    source = TableSource.parse(write_csv(tmp_path / "b.csv", booleans))
    with pytest.raises(GenlabError, match=r"text in numeric column\(s\) of csv:.*'f4' at row_id 0, .*'(True|False)'"):
        list(source.numeric_chunks(10, FEATURES, engine=engine))
    frame = table.copy()
    frame.loc[33, "amount"] = np.inf
    source = TableSource.parse(write_csv(tmp_path / "i.csv", frame))
    with pytest.raises(GenlabError, match=r"infinite values in csv:.*'amount' at row_id 33"):
        list(source.numeric_chunks(10, FEATURES, engine=engine))
    with pytest.raises(GenlabError, match="engine must be one of auto, pyarrow, pandas"):
        list(source.numeric_chunks(10, FEATURES, engine="polars"))


def test_missing_cells_at_scoring_time_advise_a_fix_that_exists():
    """A run trained without imputation cannot impute at detect time: the advice is to retrain."""
    import pandas as pd

    from genlab.data.tabular import TabularPreprocessor

    processor = TabularPreprocessor.fit(np.arange(12, dtype=np.float64).reshape(6, 2), ["a", "b"])
    frame = pd.DataFrame({"a": [1.0, np.nan], "b": [2.0, 3.0]})
    with pytest.raises(GenlabError, match=r"'a' at row_id 1; fill them, or train a new detector with imputation") as error:
        processor.transform_frame(frame)
    assert "--impute median" in str(error.value) and "genlab train detector" in str(error.value)


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return TableSource.parse(f"csv:{path}")


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_a_trailing_comma_on_every_row_reads_as_without_it(table, tmp_path, engine):
    """pandas would take each row's first field as its index and shift every column by one."""
    pytest.importorskip("pyarrow")
    lines = table.to_csv(index=False).splitlines()
    clean = write_lines(tmp_path / "clean.csv", lines)
    trailing = write_lines(tmp_path / "trailing.csv", lines[:1] + [line + "," for line in lines[1:]])
    pd.testing.assert_frame_equal(trailing.read(), clean.read())
    pd.testing.assert_frame_equal(trailing.read(["f2", "label"]), clean.read(["f2", "label"]))
    for columns in (FEATURES, ["f2", "amount"]):
        np.testing.assert_array_equal(np.concatenate([v for _, v in trailing.numeric_chunks(7, columns, engine=engine)]),
                                      np.concatenate([v for _, v in clean.numeric_chunks(7, columns, engine=engine)]))


@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_a_row_with_an_extra_field_stops_naming_it(table, tmp_path, engine):
    pytest.importorskip("pyarrow")
    lines = table.to_csv(index=False).splitlines()
    for where in (1, 40):  # the first data row (row_id 0), and one further on
        changed = list(lines)
        changed[where] += ",7.5"
        source = write_lines(tmp_path / f"extra{where}.csv", changed)
        message = rf"row_id {where - 1} has 8 fields but the header names 7 columns; remove the extra field"
        with pytest.raises(GenlabError, match=message):
            list(source.numeric_chunks(10, FEATURES, engine=engine))
        with pytest.raises(GenlabError, match=message):
            source.read(["f2", "label"])


def test_a_header_without_rows_is_refused(tmp_path):
    source = write_lines(tmp_path / "header.csv", [",".join(FEATURES + ["label"])])
    with pytest.raises(GenlabError, match="has a header but no data rows"):
        source.read(FEATURES)
