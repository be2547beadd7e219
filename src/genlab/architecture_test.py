"""The architecture is a test: import-linter's contracts (pyproject.toml) hold, and no two
genlab packages import each other, counting imports placed inside functions."""

from __future__ import annotations

import itertools
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_hold():
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("pyproject.toml with the import-linter contracts is not beside the installed source")
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0, "an import-linter contract is broken: run lint-imports"


def _source_graph() -> grimp.ImportGraph:
    graph = grimp.build_graph("genlab", cache_dir=None)
    for module in list(graph.modules):
        if module.endswith("_test") or module.endswith(".testing"):
            graph.remove_module(module)
    return graph


def test_no_import_cycle_between_packages():
    graph = _source_graph()
    packages = sorted(m for m in graph.find_children("genlab") if graph.find_children(m) or m == "genlab.runs")
    cycles = [
        (a, b) for a, b in itertools.combinations(packages, 2)
        if graph.chain_exists(a, b, as_packages=True) and graph.chain_exists(b, a, as_packages=True)
    ]
    assert not cycles, f"packages that import each other (directly or through others): {cycles}"


def test_the_layers_contract_covers_every_package():
    """A new package must take its place in the layers (else nothing checks what it imports)."""
    import tomllib

    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("pyproject.toml is not beside the installed source")
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c["layers"] for c in contracts if c["type"] == "layers"]
    named = {part.strip() for layer in layers for part in layer.split("|")}
    graph = _source_graph()
    packages = {m for m in graph.find_children("genlab") if graph.find_children(m)} | {"genlab.runs"}
    assert packages - named == set(), f"packages missing from the layers contract: {sorted(packages - named)}"
