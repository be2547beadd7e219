import json

import pytest

from genlab.core.config import DataConfig, RunConfig, TrainConfig, apply_overrides, coerce_value, read_config_file
from genlab.core.errors import GenlabError
from genlab.models.autoencoder import AutoencoderConfig


def test_run_config_round_trips_through_json():
    config = RunConfig("autoencoder", AutoencoderConfig(latent_dim=4, hidden_units=(8, 4)), DataConfig("digits", 100),
                       TrainConfig(epochs=3))
    again = RunConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    assert again.model.hidden_units == (8, 4)


def test_unknown_field_and_unknown_family_are_named():
    with pytest.raises(GenlabError, match="latnet_dim"):
        AutoencoderConfig.from_dict({"latnet_dim": 3})
    with pytest.raises(GenlabError, match="unknown model family 'vea'"):
        RunConfig.from_dict({"family": "vea"})


@pytest.mark.parametrize(
    "value, annotation, expected",
    [("3", int, 3), ("0.5", float, 0.5), ("yes", bool, True), ("8,4", tuple[int, ...], (8, 4)),
     ([28, 28, 1], tuple[int, ...], (28, 28, 1)), ("none", int | None, None)],
)
def test_coerce_value_from_strings_and_json(value, annotation, expected):
    assert coerce_value(value, annotation, "field") == expected


@pytest.mark.parametrize("value, annotation", [("abc", int), ("maybe", bool), (1.5, int), ("x", float)])
def test_coerce_value_rejects_with_the_value_named(value, annotation):
    with pytest.raises(GenlabError, match="field"):
        coerce_value(value, annotation, "field")


def test_train_config_validation_names_the_value():
    with pytest.raises(GenlabError, match="batch_size must be > 0, got 0"):
        TrainConfig(batch_size=0)
    with pytest.raises(GenlabError, match="precision"):
        TrainConfig(precision="float8")


def test_dotted_overrides_parse_json_values():
    values = apply_overrides({"model": {"latent_dim": 32}, "train": {}}, ["model.latent_dim=8", "train.epochs=2",
                                                                          "model.arch=dense"])
    assert values == {"model": {"latent_dim": 8, "arch": "dense"}, "train": {"epochs": 2}}
    with pytest.raises(GenlabError, match="key=value"):
        apply_overrides({}, ["model.latent_dim"])


def test_config_files_json_and_toml(tmp_path):
    (tmp_path / "a.toml").write_text('[model]\nlatent_dim = 4\n[train]\nepochs = 2\n')
    assert read_config_file(tmp_path / "a.toml") == {"model": {"latent_dim": 4}, "train": {"epochs": 2}}
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(GenlabError, match="not valid"):
        read_config_file(tmp_path / "bad.json")
    with pytest.raises(GenlabError, match="does not exist"):
        read_config_file(tmp_path / "missing.json")


def test_seeds_must_fit_32_bits_unsigned():
    for seed in (-1, 2**32, 99999999999999999999):
        with pytest.raises(GenlabError, match=rf"seed must be an integer from 0 to 4294967295, got {seed}"):
            AutoencoderConfig(seed=seed)
    assert AutoencoderConfig(seed=2**32 - 1).seed == 2**32 - 1


def test_an_override_never_replaces_a_section_by_a_value():
    values = {"model": {"latent_dim": 4}, "data": {}, "train": {}}
    for text in ("model=5", 'model="abc"', "train=[1]"):
        with pytest.raises(GenlabError, match=r"is a config section, not a value; set one of its fields"):
            apply_overrides(values, [text])
    with pytest.raises(GenlabError, match=r"give a section and a field, e.g. --set model.latent_dim=8"):
        apply_overrides(values, ["latent_dim=8"])
    assert apply_overrides(values, ['model={"latent_dim": 8}'])["model"] == {"latent_dim": 8}
