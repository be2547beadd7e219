"""MkDocs hook: the CLI reference (docs/cli.md), rendered from genlab's real argparse parsers.

Nothing of the reference is written by hand. At build time this hook imports
``genlab.cli.main.build_parser`` (the parser the ``genlab`` command uses), walks every
subcommand, and every family of ``genlab train``, and replaces the marker
``<!-- cli-reference -->`` in ``docs/cli.md`` with each command's usage and options.
A flag added, renamed or removed in ``src/genlab/cli/`` therefore shows in the next build.

Enabled in ``mkdocs.yml`` with ``hooks: [docs/hooks/cli_reference.py]``. From Python or a
shell, the same walk gives plain text (what ``genlab CMD --help`` prints) or Markdown::

    python docs/hooks/cli_reference.py              # plain text
    python docs/hooks/cli_reference.py --markdown   # the page body the hook inserts

    from cli_reference import render_text, render_markdown, iter_commands
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import sys
from dataclasses import dataclass, field

MARKER = "<!-- cli-reference -->"
PAGE = "cli.md"
WIDTH = 100  # help text width, fixed so that builds do not depend on the terminal


@dataclass
class Command:
    """One parser of the ``genlab`` command tree."""

    words: list[str]  # e.g. ["train", "autoencoder"]; [] for the root parser
    parser: argparse.ArgumentParser
    help: str = ""
    aliases: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # subcommand names, if it has any

    @property
    def name(self) -> str:
        return " ".join(["genlab", *self.words])

    @property
    def anchor(self) -> str:
        return "-".join(["genlab", *self.words]).replace("_", "-")


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``genlab`` command, exactly as ``genlab`` builds it."""
    from genlab.cli.main import build_parser as build

    return build()


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def iter_commands(parser: argparse.ArgumentParser | None = None) -> list[Command]:
    """Every parser of the command tree, depth first, each once (aliases are listed, not repeated)."""
    parser = parser if parser is not None else build_parser()
    return _walk(parser, [], parser.description or "", [])


def _walk(parser: argparse.ArgumentParser, words: list[str], help_text: str, aliases: list[str]) -> list[Command]:
    command = Command(words, parser, help=help_text, aliases=aliases)
    found = [command]
    action = _subparsers(parser)
    if action is None:
        return found
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    children: dict[int, tuple[str, argparse.ArgumentParser, list[str]]] = {}
    for name, sub in action.choices.items():  # insertion order: each name before its aliases
        if id(sub) in children:
            children[id(sub)][2].append(name)
        else:
            children[id(sub)] = (name, sub, [])
    for name, sub, sub_aliases in children.values():
        command.children.append(name)
        found += _walk(sub, [*words, name], helps.get(name) or sub.description or "", sub_aliases)
    return found


@contextlib.contextmanager
def _fixed_width(width: int = WIDTH):
    """argparse takes its line width from $COLUMNS; fix it while rendering."""
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved


def render_text(parser: argparse.ArgumentParser | None = None) -> str:
    """Every command's ``--help`` output, one after the other."""
    blocks = []
    with _fixed_width():
        for command in iter_commands(parser):
            title = command.name + (f" (aliases: {', '.join(command.aliases)})" if command.aliases else "")
            blocks.append(f"{'=' * len(title)}\n{title}\n{'=' * len(title)}\n{command.parser.format_help()}")
    return "\n".join(blocks)


# --------------------------------------------------------------------------- Markdown

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")


def _inline(text: str) -> str:
    """Help text as Markdown that shows exactly as written (inside a table cell too)."""
    text = " ".join(text.split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _code(text: str) -> str:
    """Inline code that may hold ``|`` inside a table cell."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;") + "</code>"


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = parser.formatter_class(prog=parser.prog, width=WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _option_rows(parser: argparse.ArgumentParser) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group title, [(invocation, help)]) for each argument group, help actions left out."""
    formatter = parser.formatter_class(prog=parser.prog, width=WIDTH)
    groups = []
    for group in parser._action_groups:
        rows = []
        for action in group._group_actions:
            if action.help == argparse.SUPPRESS or isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            invocation = formatter._format_action_invocation(action)
            help_text = formatter._expand_help(action) if action.help else ""
            if action.required and action.option_strings:
                help_text = f"required; {help_text}" if help_text else "required"
            rows.append((invocation, help_text))
        if rows:
            groups.append((group.title or "options", rows))
    return groups


def render_markdown(parser: argparse.ArgumentParser | None = None) -> str:
    """The reference as Markdown: a summary table, then one section per command."""
    commands = list(iter_commands(parser))
    lines = ["| command | what it does |", "| --- | --- |"]
    for command in commands[1:]:
        if len(command.words) == 1:
            lines.append(f"| [{_code(command.name)}](#{command.anchor}) | {_inline(command.help)} |")
    lines.append("")
    with _fixed_width():
        for command in commands:
            depth = min(2 + len(command.words[:-1]) if command.words else 2, 4)
            heading = "#" * depth
            lines.append(f"{heading} `{command.name}` {{ #{command.anchor} }}")
            lines.append("")
            text = command.parser.description or command.help
            if text and command.words:  # the root's description is the page's own introduction
                lines.append(_inline(text[0].upper() + text[1:]).rstrip(".") + ".")
                lines.append("")
            if command.aliases:
                lines.append("Also spelled: " + ", ".join(_code(" ".join(["genlab", *command.words[:-1], alias]))
                                                          for alias in command.aliases) + ".")
                lines.append("")
            lines.append("```text")
            lines.append(_usage(command.parser))
            lines.append("```")
            lines.append("")
            if command.children and command.words:
                names = ", ".join(f"[{_code(child)}](#{command.anchor}-{child.replace('_', '-')})"
                                  for child in command.children)
                lines.append(f"Subcommands: {names}.")
                lines.append("")
            for title, rows in _option_rows(command.parser):
                lines.append(f"**{_inline(title)}**")
                lines.append("")
                lines.append("| option | meaning |")
                lines.append("| --- | --- |")
                for invocation, help_text in rows:
                    lines.append(f"| {_code(invocation)} | {_inline(help_text)} |")
                lines.append("")
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:  # MkDocs hook
    """Replace the marker of docs/cli.md with the reference rendered from the parsers."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise RuntimeError(f"docs/{PAGE} lost its marker {MARKER}: the CLI reference has nowhere to go")
    return markdown.replace(MARKER, render_markdown())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print(render_markdown() if "--markdown" in argv else render_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
