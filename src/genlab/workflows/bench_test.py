import math

import pytest

from genlab.workflows.bench import format_table, measure_loop, resolve_families, run_bench, tensorflow_devices
from genlab.core.errors import GenlabError


def test_a_tiny_run_gives_positive_rates_for_each_family():
    rows = run_bench("ae,vae", seconds=0.5, batch_size=8, warmup_steps=1)
    assert [row["family"] for row in rows] == ["autoencoder", "vae"]
    for row in rows:
        assert row["input"] == "28x28x1" and row["batch"] == 8 and row["unit"] == "images"
        assert row["steps"] >= 2 and row["seconds"] >= 0.5
        assert row["per_second"] > 0 and row["ms_per_step"] > 0 and math.isfinite(row["per_cpu_second"])
        assert row["per_second"] == pytest.approx(8 * row["steps"] / row["seconds"], rel=1e-2)
        assert row["device"] in tensorflow_devices()
    table = format_table(rows)
    assert table.splitlines()[0].startswith("| family | input | batch | per second")
    assert "| autoencoder | 28x28x1 | 8 |" in table


def test_steps_are_timed_after_the_warm_up_in_whole_cycles():
    calls = []
    result = measure_loop(lambda: calls.append(1), examples_per_step=4, seconds=0.01, warmup_steps=3, step_multiple=5)
    assert result.steps % 5 == 0 and result.steps >= 5
    assert len(calls) == result.steps + 3
    assert result.per_second == pytest.approx(4 * result.steps / result.seconds)


def test_families_resolve_aliases_and_reject_unknown_names():
    assert resolve_families("ae, wgangp,stylegan2,ae") == ["autoencoder", "wgan-gp", "stylegan"]
    assert resolve_families(None)[-1] == "detector"
    with pytest.raises(GenlabError, match="got family 'nope'"):
        resolve_families("ae,nope")
    with pytest.raises(GenlabError, match="got family 'cgan'"):  # a family genlab has but the bench does not measure
        resolve_families(["cgan"])


@pytest.mark.parametrize("arguments, message", [
    ({"seconds": 0}, "seconds must be a positive number"),
    ({"seconds": float("nan")}, "seconds must be a positive number"),
    ({"precision": "float8"}, "precision must be one of"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"warmup_steps": 0}, "warmup_steps must be >= 1"),
])
def test_bad_settings_fail_before_anything_runs(arguments, message):
    with pytest.raises(GenlabError, match=message):
        run_bench("ae", **arguments)
