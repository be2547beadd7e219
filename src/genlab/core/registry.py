"""The only name -> class map in genlab.

A model family is declared once in its ``config.py`` (name, config class, description: all a
command line needs, without importing Keras) and its model class binds to it in ``model.py``::

    declare_family("autoencoder", AutoencoderConfig, description="...", aliases=("ae",))   # config.py

    @register_model("autoencoder")                                                          # model.py
    class Autoencoder(GenerativeModel): ...

Everything else (CLI, run loading, reports) looks a family up with :func:`get_family`. The
registry imports no family itself (it sits below them): importing :mod:`genlab.models` declares
every family (configs only, fast), importing :mod:`genlab.models.families` loads their models.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from genlab.core.errors import GenlabError


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    config_class: type
    description: str = ""
    aliases: tuple[str, ...] = ()
    #: "images" (a keras.Model family, trained by genlab train) or "tabular" (a detector over rows)
    kind: str = "images"
    #: the class bound by :func:`register_model` / :func:`register_tabular` (None: not loaded yet)
    loaded_class: type | None = None

    @property
    def model_class(self) -> type:
        if self.loaded_class is None:
            where = "genlab.models.families" if self.kind == "images" else "genlab.tabular.detector"
            raise GenlabError(f"the model of family {self.name!r} is not loaded: import {where} first")
        return self.loaded_class


_FAMILIES: dict[str, Family] = {}
_TABULAR: dict[str, Family] = {}
_ALIASES: dict[str, str] = {}


def _declare(table: dict[str, Family], family: Family) -> None:
    known = table.get(family.name)
    if known is not None and known.config_class is not family.config_class:
        raise RuntimeError(f"family {family.name!r} is declared twice")
    if known is None:
        table[family.name] = family
    for alias in family.aliases:
        _ALIASES[alias] = family.name


def declare_family(name: str, config_class: type, description: str = "", aliases: tuple[str, ...] = ()) -> None:
    """Declare the image model family ``name`` (and its aliases) with its config class."""
    _declare(_FAMILIES, Family(name, config_class, description, tuple(aliases)))


def declare_tabular(name: str, config_class: type, description: str = "", aliases: tuple[str, ...] = ()) -> None:
    """Declare a tabular detector family: not a keras.Model (PyOD's contract), its runs work with
    ``genlab runs``, ``report``, ``evaluate`` and ``detect``. Kept apart from the image families:
    :func:`get_family` and :func:`families` never return it."""
    _declare(_TABULAR, Family(name, config_class, description, tuple(aliases), kind="tabular"))


def _binder(table: dict[str, Family], name: str) -> Callable:
    def decorator(cls: type) -> type:
        if name not in table:
            raise RuntimeError(f"family {name!r} is bound to {cls.__name__} but was never declared (declare it in config.py)")
        family = table[name]
        if family.loaded_class is not None and family.loaded_class is not cls:
            raise RuntimeError(f"family {name!r} is registered twice")
        table[name] = dataclasses.replace(family, loaded_class=cls)
        cls.family = name
        cls.config_class = family.config_class
        return cls

    return decorator


def register_model(name: str) -> Callable:
    """Class decorator binding a keras.Model class to the declared image family ``name``."""
    return _binder(_FAMILIES, name)


def register_tabular(name: str) -> Callable:
    """Class decorator binding a detector class to the declared tabular family ``name``."""
    return _binder(_TABULAR, name)


def _lookup(table: dict[str, Family], name: str, what: str, declared_by: str) -> Family:
    canonical = _ALIASES.get(name, name)
    if canonical not in table:
        known = ", ".join(sorted(table)) or f"none yet (import {declared_by}, which declares them)"
        raise GenlabError(f"unknown {what} {name!r}; known: {known}")
    return table[canonical]


def get_tabular(name: str) -> Family:
    return _lookup(_TABULAR, name, "tabular family", "genlab.tabular")


def tabular_families() -> list[Family]:
    return [_TABULAR[name] for name in sorted(_TABULAR)]


def is_tabular(name: str) -> bool:
    return _ALIASES.get(name, name) in _TABULAR


def run_family(name: str) -> Family:
    """The family a run's ``config.json`` names: an image family or a tabular detector."""
    return get_tabular(name) if is_tabular(name) else get_family(name)


def get_family(name: str) -> Family:
    canonical = _ALIASES.get(name, name)
    if canonical in _TABULAR:
        raise GenlabError(f"{canonical!r} is a tabular detector, not an image model family: train it with "
                          f"genlab train {canonical}, use its runs with genlab detect / genlab evaluate")
    return _lookup(_FAMILIES, name, "model family", "genlab.models")


def families() -> list[Family]:
    """The image model families (keras.Model subclasses), by name."""
    return [_FAMILIES[name] for name in sorted(_FAMILIES)]
