"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import typing

from genlab.core.config import SEED_MAX
from genlab.core.errors import GenlabError


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of a usage dump."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"genlab: error: {message} (see '{self.prog} --help')\n")

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if not hasattr(namespace, "_innermost_parser"):  # the deepest sub-command parser returns first
            namespace._innermost_parser = self
        return namespace, extras

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unknown flag is reported by the sub-command that was given it,
        pointing to that sub-command's ``--help``."""
        namespace, extras = self.parse_known_args(args, namespace)
        innermost = vars(namespace).pop("_innermost_parser", self)
        if extras:
            innermost.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def add_dataclass_flags(parser: argparse.ArgumentParser, config_class: type, skip: tuple[str, ...] = ()) -> list[str]:
    """One ``--flag`` per dataclass field (default None = 'not given'); returns the field names."""
    hints = typing.get_type_hints(config_class)
    names = []
    for field in dataclasses.fields(config_class):
        if field.name in skip:
            continue
        annotation = hints[field.name]
        default = field.default if field.default is not dataclasses.MISSING else (
            field.default_factory() if field.default_factory is not dataclasses.MISSING else None)
        if isinstance(default, tuple):
            default = ",".join(str(v) for v in default)
        help_text = f"{field.metadata.get('help', field.name.replace('_', ' '))} (default: {default})"
        flag = field.metadata.get("flag", flag_name(field.name))  # a field may name its own flag
        if annotation is bool:
            parser.add_argument(flag, dest=field.name, action=argparse.BooleanOptionalAction,
                                default=None, help=help_text)
        else:
            parser.add_argument(flag, dest=field.name, default=None, metavar=field.name.upper(),
                                help=help_text)
        names.append(field.name)
    return names


def given(args: argparse.Namespace, names: list[str]) -> dict[str, typing.Any]:
    """The subset of ``names`` the user actually passed on the command line."""
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seed_int(text: str) -> int:
    """argparse type of ``--seed``: an integer from 0 to 2**32 - 1 (what NumPy and TensorFlow accept)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {SEED_MAX}, got {text!r}") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to {SEED_MAX}, got {text!r}")
    return value


def add_overwrite_flag(parser: argparse.ArgumentParser) -> None:
    """``--overwrite``: the one switch that lets a command replace an existing output file
    (never an input, never a file inside a run directory; see genlab.core.io.check_output_path)."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the output file if it exists (an input or a run's own file never is)")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise GenlabError(message)


def config_sections(path: str | None, family_name: str) -> dict[str, dict[str, typing.Any]]:
    """The ``model``, ``data`` and ``train`` sections of ``--config FILE`` (empty ones without a file);
    GenlabError for an unknown section or a file written for another family."""
    from genlab.core.config import read_config_file

    sections: dict[str, dict[str, typing.Any]] = {"model": {}, "data": {}, "train": {}}
    if not path:
        return sections
    file_values = read_config_file(path)
    unknown = sorted(set(file_values) - {"model", "data", "train", "family"})
    require(not unknown, f"config file {path!r} has unknown section(s) {', '.join(unknown)}")
    if file_values.get("family") not in (None, family_name):
        raise GenlabError(f"config file {path!r} is for family {file_values['family']!r}, not {family_name!r}")
    for section in sections:
        values = file_values.get(section, {})
        require(isinstance(values, dict), f"config file {path!r}: section {section!r} must be a mapping of field "
                                          f"names to values (e.g. {{\"{section}\": {{...}}}}), got {values!r}")
        sections[section].update(values)
    return sections
