"""``genlab bench`` end to end: a tiny run writes its table and JSON; bad input exits 2."""

import json
import subprocess
import sys

import pytest

from genlab.cli.main import main


def test_bench_prints_devices_and_a_table_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--families", "ae,detector", "--seconds", "0.5", "--batch-size", "8", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("TensorFlow sees: ") and "CPU:0" in printed.splitlines()[0]
    assert "| family | input | batch | per second | unit | ms/step | precision | device |" in printed
    assert "| autoencoder | 28x28x1 | 8 |" in printed and "| detector |" in printed
    written = json.loads(out.read_text())
    assert [row["family"] for row in written["rows"]] == ["autoencoder", "detector"]
    assert [row["unit"] for row in written["rows"]] == ["images", "rows"]
    assert all(row["per_second"] > 0 and row["ms_per_step"] > 0 for row in written["rows"])
    assert written["settings"]["seconds"] == 0.5 and "CPU:0" in written["devices"]


def test_unknown_family_exits_2_with_a_clear_message(capsys):
    assert main(["bench", "--families", "ae,nope", "--seconds", "1"]) == 2
    error = capsys.readouterr().err
    assert "got family 'nope'" in error and "autoencoder" in error


@pytest.mark.slow
def test_bad_flags_exit_2_from_the_installed_command():
    for flags, message in ((["--seconds", "-1"], "seconds must be a positive number"),
                           (["--batch-size", "0"], "expected a positive integer"),
                           (["--precision", "fp8"], "precision must be one of")):
        result = subprocess.run([sys.executable, "-m", "genlab.cli.main", "bench", "--families", "ae", *flags],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and message in result.stderr, (flags, result.stderr[-500:])


def test_input_shape_replaces_the_image_shape(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--families", "ae", "--input-shape", "16,16,3", "--seconds", "0.3",
                 "--batch-size", "4", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["rows"][0]["input"] == "16x16x3"
    assert main(["bench", "--families", "ae", "--input-shape", "16x16"]) == 2
    assert "--input-shape must look like 64,64,3, got '16x16'" in capsys.readouterr().err
