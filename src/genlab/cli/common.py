"""Argument helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import dataclasses
import typing

from genlab.core.errors import GenlabError


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) instead of a usage dump."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"genlab: error: {message} (see '{self.prog} --help')\n")


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
        sections[section].update(file_values.get(section, {}))
    return sections
