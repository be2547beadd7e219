"""The documentation matches the command line.

Every ``genlab ...`` command shown in a fenced code block of README.md or docs/**/*.md is
parsed by the real parser (``genlab.cli.main.build_parser``), so a renamed or removed flag,
a wrong family name or a ``a|b`` placeholder fails here with the file, line and command
named. The CLI reference page itself is generated from the same parser at build time
(docs/hooks/cli_reference.py); this test also checks that it covers every subcommand.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README_MAX_LINES = 210
SETUP_COMMANDS = (
    "pip install -e . && genlab train autoencoder --data digits --epochs 30 --latent-dim 16 --batch-size 32 "
    "--out runs/quickstart && genlab reconstruct runs/quickstart && genlab evaluate runs/quickstart",
    'pip install -e ".[test]" && python -m pytest',
)
#: languages of fenced blocks that hold shell commands (an unnamed block counts too)
SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console", "text", "zsh"}
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")


@dataclass(frozen=True)
class DocCommand:
    path: Path
    line: int  # 1-based line of the command's first physical line
    text: str  # the genlab command alone (continuations joined, env assignments removed)

    def __str__(self) -> str:
        where = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{where}:{self.line}: {self.text}"


def shell_blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of every fenced code block in a shell-like language."""
    blocks, current, fence, start = [], None, None, 0
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, start = match["fence"], number + 1
                language = match["info"].strip().split()[0].lstrip(".").lower() if match["info"].strip() else ""
                current = [] if language in SHELL_LANGUAGES else None
        elif match and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence) and not match["info"].strip():
            if current is not None:
                blocks.append((start, current))
            fence, current = None, None
        elif current is not None:
            current.append(line)
    return blocks


def logical_lines(start: int, lines: list[str]) -> list[tuple[int, str]]:
    """Join ``\\`` continuations; strip a ``$ `` prompt."""
    joined, buffer, first = [], "", start
    for offset, line in enumerate(lines):
        if not buffer:
            first = start + offset
        stripped = line.strip()
        if stripped.endswith("\\"):
            buffer += stripped[:-1].rstrip() + " "
            continue
        buffer += stripped
        joined.append((first, buffer))
        buffer = ""
    if buffer:
        joined.append((first, buffer))
    return [(number, text[2:] if text.startswith("$ ") else text) for number, text in joined]


def split_unquoted(text: str) -> tuple[list[str], list[str]]:
    """Split a shell line on unquoted ``&&``, ``||`` and ``;``, dropping an unquoted ``#`` comment.

    Returns the pieces and the problems found (an unquoted ``|`` inside a piece)."""
    pieces, problems, current, quote, index = [], [], "", None, 0
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"' and index + 1 < len(text):
                current += text[index:index + 2]
                index += 2
                continue
            if char == quote:
                quote = None
            current += char
        elif char in "'\"":
            quote = char
            current += char
        elif char == "#" and (not current or current[-1].isspace()):
            break
        elif text.startswith("&&", index) or text.startswith("||", index):
            pieces.append(current)
            current = ""
            index += 2
            continue
        elif char == ";":
            pieces.append(current)
            current = ""
        elif char == "|":
            problems.append(current.strip())
            current += char
        else:
            current += char
        index += 1
    pieces.append(current)
    return [piece.strip() for piece in pieces if piece.strip()], problems


def genlab_commands(text: str, path: Path) -> list[DocCommand]:
    found = []
    for start, lines in shell_blocks(text):
        for number, line in logical_lines(start, lines):
            pieces, _ = split_unquoted(line)
            for piece in pieces:
                words = piece.split()
                while words and ENV_ASSIGNMENT.match(words[0]):  # GENLAB_CPU_REPLICAS=2 genlab ...
                    words.pop(0)
                if words and words[0] == "genlab":
                    found.append(DocCommand(path, number, piece[piece.index("genlab"):]))
    return found


def all_doc_commands() -> list[DocCommand]:
    commands = []
    for path in DOC_FILES:
        commands += genlab_commands(path.read_text(encoding="utf-8"), path)
    return commands


COMMANDS = all_doc_commands()


@pytest.fixture(scope="module")
def parser():
    from genlab.cli.main import build_parser

    return build_parser()


def test_the_docs_show_commands():
    assert len(COMMANDS) > 50, [str(command) for command in COMMANDS]
    assert any(command.path.name == "README.md" for command in COMMANDS)


def test_every_documented_command_parses(parser):
    failures = []
    for command in COMMANDS:
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                parser.parse_args(shlex.split(command.text, comments=True)[1:])
        except SystemExit as exit_:  # --help exits with 0: documented, and fine
            if exit_.code in (0, None):
                continue
            failures.append(f"{command}\n    -> exit {exit_.code}: {stderr.getvalue().strip()}")
    assert not failures, "documented commands the CLI refuses:\n" + "\n".join(failures)


def test_no_placeholder_alternatives_in_commands():
    placeholders = []
    for command in COMMANDS:
        _, problems = split_unquoted(command.text)
        if problems:
            placeholders.append(f"{command}  (unquoted '|': write one real command per choice)")
    assert not placeholders, "\n".join(placeholders)


def test_the_command_scanner_understands_shell_lines(tmp_path):
    text = "\n".join([
        "```bash",
        "pip install -e . && genlab runs runs/   # a comment with genlab sample x",
        "genlab train gan --data mnist \\",
        "    --loss minimax --out runs/gan",
        "GENLAB_CPU_REPLICAS=2 genlab bench --distribute mirrored",
        "genlab train gan --loss minimax|non-saturating",
        "genlab report runs/x --out 'a|b.html'",
        "```",
        "```python",
        "genlab = 1",
        "```",
    ])
    commands = genlab_commands(text, tmp_path / "page.md")
    assert [(command.line, command.text) for command in commands] == [
        (2, "genlab runs runs/"),
        (3, "genlab train gan --data mnist --loss minimax --out runs/gan"),
        (5, "genlab bench --distribute mirrored"),
        (6, "genlab train gan --loss minimax|non-saturating"),
        (7, "genlab report runs/x --out 'a|b.html'"),
    ]
    assert [bool(split_unquoted(command.text)[1]) for command in commands] == [False, False, False, True, False]


def test_readme_is_short_and_keeps_the_set_up_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MAX_LINES
    for command in SETUP_COMMANDS:
        assert command in readme.splitlines(), f"README.md lost its set-up command: {command}"


def test_readme_links_to_docs_pages_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?:docs|benchmarks)/[^)#]+)(?:#[^)]*)?\)", readme)
    assert targets
    missing = [target for target in targets if not (ROOT / target).exists()]
    assert not missing, missing


def load_cli_reference():
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "docs" / "hooks" / "cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_cli_reference_is_generated_for_every_subcommand(parser):
    reference = load_cli_reference()
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert reference.MARKER in page
    commands = reference.iter_commands(parser)
    names = {command.name for command in commands}
    top_level = {command.name for command in commands if len(command.words) == 1}
    for name in ("train", "evaluate", "report", "runs", "style-mix", "project", "edit", "detect", "bench"):
        assert f"genlab {name}" in top_level
    assert {"genlab train autoencoder", "genlab train stylegan", "genlab train detector"} <= names
    text = reference.render_text(parser)
    markdown = reference.render_markdown(parser)
    for name in names:
        assert name in text and f"`{name}`" in markdown
    assert "--chunk-size CHUNK_SIZE" in text and "--chunk-size CHUNK_SIZE" in markdown
    assert "usage: genlab style-mix" in markdown
