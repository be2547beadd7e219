"""MkDocs hook: ``<!-- include: PATH -->`` in a page is replaced by the file PATH (relative to
mkdocs.yml) at build time.

It lets a file that lives outside ``docs/`` be the single source of a page: the benchmark
figures stay in ``benchmarks/RESULTS.md``, next to the scripts that produce them, and
``docs/benchmarks.md`` shows them on the site without a second copy. Enabled in
``mkdocs.yml`` with ``hooks: [docs/hooks/include_files.py]``; a missing file fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

INCLUDE = re.compile(r"^<!-- include: (?P<path>\S+) -->$", re.MULTILINE)


def include(markdown: str, root: Path) -> str:
    """``markdown`` with every include marker replaced by the file it names."""

    def content(match: re.Match) -> str:
        path = (root / match["path"]).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{match[0]}: {path} does not exist")
        return path.read_text(encoding="utf-8")

    return INCLUDE.sub(content, markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:  # MkDocs hook
    return include(markdown, Path(config.config_file_path).parent)
