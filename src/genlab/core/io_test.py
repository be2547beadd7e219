import os

import pytest

from genlab.core.errors import GenlabError
from genlab.core.io import check_output_path, run_directory_holding, source_path


@pytest.fixture
def place(tmp_path):
    run = tmp_path / "run"
    (run / "weights").mkdir(parents=True)
    for name in ("config.json", "metadata.json"):
        (run / name).write_text("{}")
    (tmp_path / "input.csv").write_text("a\n1\n")
    (tmp_path / "old.png").write_bytes(b"old")
    return tmp_path, run


def test_a_new_file_outside_every_run_is_accepted(place):
    root, _ = place
    assert check_output_path(root / "new" / "out.png") == root / "new" / "out.png"
    assert check_output_path(root / "old.png", overwrite=True) == root / "old.png"


def test_existing_files_inputs_and_run_files_are_refused(place):
    root, run = place
    with pytest.raises(GenlabError, match=r"--out .*old\.png' already exists; pass --overwrite to replace it"):
        check_output_path(root / "old.png")
    with pytest.raises(GenlabError, match=r"--json .*old\.png' already exists; .* or choose another --json"):
        check_output_path(root / "old.png", flag="--json")
    with pytest.raises(GenlabError, match="is the input"):
        check_output_path(root / "sub" / ".." / "input.csv", inputs=(root / "input.csv",), overwrite=True)
    os.symlink(root / "input.csv", root / "link.csv")
    with pytest.raises(GenlabError, match="is the input"):
        check_output_path(root / "link.csv", inputs=(root / "input.csv",), overwrite=True)
    for inside in (run / "config.json", run / "weights" / "new.h5", run / "new.png"):
        with pytest.raises(GenlabError, match="lies inside run directory"):
            check_output_path(inside, overwrite=True)
    with pytest.raises(GenlabError, match="is a directory"):
        check_output_path(run, overwrite=True)


def test_the_commands_own_default_in_the_run_is_rewritten_but_never_an_input(place):
    root, run = place
    (run / "samples.png").write_bytes(b"earlier")
    assert check_output_path(run / "samples.png", default=run / "samples.png") == run / "samples.png"
    with pytest.raises(GenlabError, match="is the input"):
        check_output_path(run / "d.csv", inputs=(run / "d.csv",), default=run / "d.csv")
    assert run_directory_holding(run / "weights" / "x") == run.resolve() and run_directory_holding(root / "x") is None


def test_source_path_names_the_file_a_data_spec_reads(tmp_path):
    assert str(source_path("csv:/data/t.csv")) == "/data/t.csv"
    assert str(source_path("folder:~/pics")).endswith("pics") and "~" not in str(source_path("folder:~/pics"))
    assert source_path("digits") is None and source_path(None) is None
    (tmp_path / "x.npz").write_bytes(b"")
    assert source_path(str(tmp_path / "x.npz")) == tmp_path / "x.npz"
