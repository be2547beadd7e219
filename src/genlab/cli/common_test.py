import pytest

from genlab.cli.main import build_parser


@pytest.mark.parametrize("argv, help_of", [
    (["sample", "runs/x", "--bogus"], "genlab sample --help"),
    (["train", "vae", "--bogus", "1"], "genlab train vae --help"),
    (["detect", "runs/x", "--data", "csv:a.csv", "--impute", "median"], "genlab detect --help"),
])
def test_an_unknown_flag_points_to_its_sub_command_help(argv, help_of, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "unrecognized arguments" in error and f"(see '{help_of}')" in error and error.count("\n") == 1


def test_known_arguments_still_parse():
    args = build_parser().parse_args(["sample", "runs/x", "--n", "4"])
    assert args.run == "runs/x" and args.n == 4 and not hasattr(args, "_innermost_parser")


def test_config_file_sections_must_be_mappings(tmp_path):
    from genlab.cli.common import config_sections
    from genlab.core.errors import GenlabError

    for text, section in (('{"model": 5}', "model"), ('{"train": [1, 2]}', "train"), ('{"data": "digits"}', "data")):
        (tmp_path / "c.json").write_text(text)
        with pytest.raises(GenlabError, match=rf"section '{section}' must be a mapping of field names to values"):
            config_sections(str(tmp_path / "c.json"), "autoencoder")


@pytest.mark.parametrize("command", [["sample", "runs/x"], ["interpolate", "runs/x"], ["denoise", "runs/x"],
                                     ["style-mix", "runs/x"], ["evaluate", "runs/x"]])
def test_seed_flags_take_32_bit_unsigned_integers(command, capsys):
    for seed in ("-1", "4294967296", "99999999999999999999", "abc"):
        with pytest.raises(SystemExit) as exit_info:
            build_parser().parse_args([*command, "--seed", seed])
        error = capsys.readouterr().err
        assert exit_info.value.code == 2 and error.count("\n") == 1
        assert f"expected an integer from 0 to 4294967295, got '{seed}'" in error
    assert build_parser().parse_args([*command, "--seed", "4294967295"]).seed == 4294967295
