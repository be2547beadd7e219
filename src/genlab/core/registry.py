"""The only name -> class map in genlab.

A model family registers itself once, in its ``model.py``::

    @register_model("autoencoder", AutoencoderConfig, description="...")
    class Autoencoder(GenerativeModel): ...

and everything else (CLI, run loading, reports) looks it up with :func:`get_family`. The registry
imports no family itself (it sits below them): importing :mod:`genlab.models` registers them all.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from genlab.core.errors import GenlabError


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    config_class: type
    model_class: type
    description: str = ""
    aliases: tuple[str, ...] = ()


_FAMILIES: dict[str, Family] = {}
_ALIASES: dict[str, str] = {}


def register_model(name: str, config_class: type, description: str = "", aliases: tuple[str, ...] = ()) -> Callable:
    """Class decorator registering a model family under ``name`` (and optional aliases)."""

    def decorator(model_class: type) -> type:
        if name in _FAMILIES and _FAMILIES[name].model_class is not model_class:
            raise RuntimeError(f"model family {name!r} is registered twice")
        _FAMILIES[name] = Family(name, config_class, model_class, description, tuple(aliases))
        for alias in aliases:
            _ALIASES[alias] = name
        model_class.family = name
        model_class.config_class = config_class
        return model_class

    return decorator


def get_family(name: str) -> Family:
    canonical = _ALIASES.get(name, name)
    if canonical not in _FAMILIES:
        known = ", ".join(sorted(_FAMILIES)) or "none yet (import genlab.models, which registers them)"
        raise GenlabError(f"unknown model family {name!r}; known families: {known}")
    return _FAMILIES[canonical]


def families() -> list[Family]:
    return [_FAMILIES[name] for name in sorted(_FAMILIES)]
