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
