"""Every registered image family keeps the family contract: its folder holds the same file set,
its model is a GenerativeModel registered for safe loading, and its ``model_test.py`` runs the
shared harness (:func:`genlab.models.harness.check_family`) on it."""

from __future__ import annotations

import ast
import re
import importlib
from pathlib import Path

import keras
import pytest

import genlab.models.families  # noqa: F401  (every family, models loaded)
from genlab.core.registry import families
from genlab.models.base import GenerativeModel

FAMILY_FILES = {"__init__.py", "config.py", "networks.py", "model.py", "model_test.py"}


def _family_folder(family) -> Path:
    return Path(importlib.import_module(family.model_class.__module__).__file__).parent


def test_there_are_families():
    assert len(families()) >= 13  # autoencoder, vae, cvae, gan, dcgan, wgan, wgan-gp, cgan, classifier, ...


@pytest.mark.parametrize("family", families(), ids=lambda family: family.name)
def test_family_keeps_the_contract(family):
    folder = _family_folder(family)
    assert FAMILY_FILES <= {p.name for p in folder.iterdir()}, f"{folder} lacks {FAMILY_FILES - {p.name for p in folder.iterdir()}}"
    assert issubclass(family.model_class, GenerativeModel)
    name = family.model_class.__name__
    assert keras.saving.get_registered_object(f"genlab>{name}") is family.model_class
    # the model's docstring (class or module) cites its paper: authors (year)
    module_doc = importlib.import_module(family.model_class.__module__).__doc__ or ""
    assert re.search(r"\b(19|20)\d\d\b", module_doc + (family.model_class.__doc__ or "")), f"{name} cites no paper"
    # the family's model_test.py calls the shared harness on this class (by name)
    tree = ast.parse((folder / "model_test.py").read_text())
    harness_calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                     and getattr(node.func, "id", getattr(node.func, "attr", None)) == "check_family"]
    assert harness_calls, f"{folder / 'model_test.py'} never calls check_family"
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert name in names or family.name in (folder / "model_test.py").read_text(), \
        f"{folder / 'model_test.py'} does not exercise {name}"
