"""Packages whose heavy members (anything importing Keras/TensorFlow) load on first use, so that
light members (configs, specs) and ``genlab --help`` never pay TensorFlow's start-up.

``__getattr__ = lazy_exports(__name__, {"VAE": "model"})`` in a package's ``__init__`` makes
``from genlab.models.vae import VAE`` import ``genlab.models.vae.model`` at that moment (PEP 562).
Only a package's own submodules are named, so no import runs upward.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_exports(package: str, members: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` giving each name in ``members`` from ``package.<submodule>``."""

    def __getattr__(name: str) -> Any:
        if name in members:
            return getattr(importlib.import_module(f"{package}.{members[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
