"""Typed dataclass configs: validated once, saved with each run, enough to rebuild a model.

Every config is a ``@dataclass`` that inherits :class:`Config`. ``__post_init__`` coerces
field types and calls ``validate()``, which raises :class:`~genlab.core.errors.GenlabError`
(a ``ValueError``) naming the bad value. A run's full configuration is a
:class:`RunConfig`: the model family's config plus the data and training configs.

Configs come from code, from a JSON or TOML file (``Config.from_file``) and from dotted
``key=value`` overrides (``apply_overrides``), the CLI's ``--set model.latent_dim=8``.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, ClassVar

from genlab.core.errors import GenlabError
from genlab.core.registry import run_family


def _is_optional(annotation: Any) -> tuple[bool, Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return True, args[0]
    return False, annotation


def coerce_value(value: Any, annotation: Any, name: str) -> Any:
    """Convert ``value`` (from JSON, TOML or a command line string) to ``annotation``."""
    optional, annotation = _is_optional(annotation)
    if value is None or (optional and isinstance(value, str) and value.lower() in ("none", "null", "")):
        if optional:
            return None
        raise GenlabError(f"{name} must not be empty (got {value!r})")
    origin = typing.get_origin(annotation)
    try:
        if annotation is bool:
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered in ("1", "true", "yes", "on"):
                    return True
                if lowered in ("0", "false", "no", "off"):
                    return False
                raise ValueError
            if isinstance(value, (bool, int)) and value in (0, 1):
                return bool(value)
            raise ValueError
        if annotation is int:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if annotation is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if annotation is str:
            if not isinstance(value, (str, int, float)):
                raise ValueError
            return str(value)
        if origin in (tuple, list):
            args = typing.get_args(annotation)
            if isinstance(value, str):
                # "28x28" is a shape only for numbers: column names such as "Max_x" keep their x
                text = value if args and args[0] is str else value.replace("x", ",")
                value = [v.strip() for v in text.split(",") if v.strip()] if text.strip() else []
            if not isinstance(value, (list, tuple)):
                raise ValueError
            if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
                items = [coerce_value(v, args[0], name) for v in value]
            elif origin is tuple and args:
                if len(value) != len(args):
                    raise ValueError
                items = [coerce_value(v, a, name) for v, a in zip(value, args)]
            else:
                inner = args[0] if args else Any
                items = [v if inner is Any else coerce_value(v, inner, name) for v in value]
            return tuple(items) if origin is tuple else list(items)
        if dataclasses.is_dataclass(annotation) and isinstance(value, dict):
            return annotation.from_dict(value)
    except GenlabError:
        raise
    except (TypeError, ValueError):
        pass
    else:
        return value
    raise GenlabError(f"{name} must be of type {getattr(annotation, '__name__', annotation)}, got {value!r}")


@dataclasses.dataclass
class Config:
    """Base class of every genlab config: type coercion, validation, (de)serialization."""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if dataclasses.is_dataclass(value):
                continue
            setattr(self, field.name, coerce_value(value, hints[field.name], self._qualified(field.name)))
        self.validate()

    def _qualified(self, name: str) -> str:
        return name

    def validate(self) -> None:
        """Raise GenlabError naming the first invalid value. Subclasses extend this."""

    def to_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, Config):
                return value.to_dict()
            if isinstance(value, (tuple, list)):
                return [plain(v) for v in value]
            return value

        return {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Config":
        if not isinstance(values, dict):
            raise GenlabError(f"{cls.__name__} expects a mapping, got {type(values).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise GenlabError(
                f"unknown {cls.__name__} field(s) {', '.join(unknown)}; known fields: {', '.join(sorted(known))}"
            )
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> "Config":
        return cls.from_dict(read_config_file(path))

    def replace(self, **changes: Any) -> "Config":
        return dataclasses.replace(self, **changes)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON or TOML file into a dict, with a clear error if it is missing or corrupt."""
    path = Path(path)
    if not path.is_file():
        raise GenlabError(f"config file {str(path)!r} does not exist")
    text = path.read_bytes()
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text.decode("utf-8"))
        else:
            data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise GenlabError(f"config file {str(path)!r} is not valid {path.suffix.lstrip('.') or 'JSON'}: {error}") from None
    if not isinstance(data, dict):
        raise GenlabError(f"config file {str(path)!r} must hold a mapping at the top level")
    return data


def parse_override(text: str) -> tuple[list[str], Any]:
    """``'model.latent_dim=8'`` -> (['model', 'latent_dim'], 8). Values parse as JSON when they can."""
    if "=" not in text:
        raise GenlabError(f"--set expects key=value, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise GenlabError(f"--set expects a dotted key like model.latent_dim, got {key!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.split("."), value


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Return a copy of the nested dict ``values`` with dotted overrides applied."""
    result = json.loads(json.dumps(values))
    for text in overrides:
        path, value = parse_override(text)
        node = result
        for part in path[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                raise GenlabError(f"--set {text!r}: {part!r} is not a config section")
            node = child
        key = path[-1].replace("-", "_")
        if len(path) == 1 and key not in node:
            raise GenlabError(f"--set {text!r}: give a section and a field, e.g. --set model.latent_dim=8 "
                              f"(sections: {', '.join(sorted(node)) or 'none'})")
        if isinstance(node.get(key), dict) and not isinstance(value, dict):
            raise GenlabError(f"--set {text!r}: {key!r} is a config section, not a value; set one of its fields, "
                              f"e.g. --set {key}.FIELD=VALUE")
        node[key] = value
    return result


# --------------------------------------------------------------------------------------
# Shared sections of a run's configuration
# --------------------------------------------------------------------------------------


def _check_positive(name: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise GenlabError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")


#: seeds are unsigned 32-bit integers: what NumPy, TensorFlow and Keras all accept
SEED_MAX = 2**32 - 1


def check_seed(name: str, value: int) -> None:
    """A seed must lie in 0 .. 2**32 - 1 (NumPy's and TensorFlow's generators refuse others)."""
    if not 0 <= value <= SEED_MAX:
        raise GenlabError(f"{name} must be an integer from 0 to {SEED_MAX}, got {value}")


def check_choice(name: str, value: object, choices) -> None:
    """``value`` must be one of ``choices``; the error names the field, the choices and the value."""
    if value not in choices:
        raise GenlabError(f"{name} must be one of {', '.join(map(str, choices))}, got {value!r}")


def check_layer_sizes(arch: str, hidden_units: tuple[int, ...], filters: tuple[int, ...]) -> None:
    """The dense arch's hidden sizes or the conv arch's filters must be non-empty and positive."""
    units = hidden_units if arch == "dense" else filters
    if not units or any(u <= 0 for u in units):
        raise GenlabError(f"{'hidden_units' if arch == 'dense' else 'filters'} must be positive, got {units!r}")


def check_conv_input(input_shape: tuple[int, ...], filters: tuple[int, ...]) -> None:
    """A conv network with one stride-2 layer per filter count halves H and W that many times."""
    if len(input_shape) != 3:
        raise GenlabError(f"conv arch needs images (H, W, C), got input_shape {input_shape!r}")
    factor = 2 ** len(filters)
    height, width = input_shape[:2]
    if height % factor or width % factor:
        raise GenlabError(
            f"conv arch with {len(filters)} stride-2 layers needs height and width divisible by "
            f"{factor}, got {height}x{width}; use fewer --filters or --arch dense"
        )


@dataclasses.dataclass
class ModelConfig(Config):
    """Fields every model family shares. ``input_shape``, ``value_range`` and ``num_classes``
    are filled from the data at training time; the others come from the user."""

    #: fields the CLI does not expose as ``--flags`` (they come from the data)
    data_fields: ClassVar[tuple[str, ...]] = ("input_shape", "num_classes", "value_range")
    #: the family's optimizer step size, used where neither ``--learning-rate`` nor a config value
    #: gives one (a family's config redeclares it, e.g. a paper's rate; see TrainConfig.learning_rate)
    default_learning_rate: ClassVar[float] = 1e-3

    input_shape: tuple[int, ...] = dataclasses.field(default=(28, 28, 1), metadata={"help": "shape of one input"})
    latent_dim: int = dataclasses.field(default=32, metadata={"help": "size of the latent code"})
    value_range: tuple[float, float] = dataclasses.field(default=(0.0, 1.0), metadata={"help": "data range"})
    num_classes: int = dataclasses.field(default=0, metadata={"help": "number of classes in the data (0: unlabelled)"})
    seed: int = dataclasses.field(default=0, metadata={"help": "random seed for weights, noise and data order"})

    def validate(self) -> None:
        if not self.input_shape or any(d <= 0 for d in self.input_shape):
            raise GenlabError(f"input_shape must be positive integers, got {self.input_shape!r}")
        _check_positive("latent_dim", self.latent_dim)
        low, high = self.value_range
        if not low < high:
            raise GenlabError(f"value_range must be (low, high) with low < high, got {self.value_range!r}")
        _check_positive("num_classes", self.num_classes, allow_zero=True)
        check_seed("seed", self.seed)


@dataclasses.dataclass
class DataConfig(Config):
    """Where the training data comes from (see :mod:`genlab.data.sources`)."""

    source: str = dataclasses.field(default="digits", metadata={"help": "data source"})
    limit: int | None = dataclasses.field(default=None, metadata={"help": "use at most N training images"})
    skip_bad_images: bool = dataclasses.field(
        default=False, metadata={"help": "folder sources: skip unreadable image files (counted) instead of refusing"}
    )
    # image-to-image families (see genlab.data.pairs): a second domain, pairing, random crops
    source_b: str | None = dataclasses.field(
        default=None, metadata={"help": "domain B image source of image-to-image families (cyclegan, pix2pix)", "flag": "--data-b"}
    )
    paired: bool = dataclasses.field(
        default=False, metadata={"help": "image i of --data-a and image i of --data-b show the same scene (pix2pix)"}
    )
    crop_size: int | None = dataclasses.field(
        default=None, metadata={"help": "train on random square crops of this size (validation: centre crops)"}
    )

    def validate(self) -> None:
        if not self.source.strip():
            raise GenlabError("data source must not be empty")
        if self.limit is not None:
            _check_positive("limit", self.limit)
        if self.source_b is not None and not self.source_b.strip():
            raise GenlabError("data source B (--data-b) must not be empty")
        if self.paired and self.source_b is None:
            raise GenlabError("--paired needs a second image source: give --data-b")
        if self.crop_size is not None:
            _check_positive("crop_size", self.crop_size)


PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
#: tf.distribute strategies of ``--distribute`` (see :mod:`genlab.core.distribute`)
DISTRIBUTE = ("none", "mirrored", "multi-worker")


@dataclasses.dataclass
class TrainConfig(Config):
    """How to train: budget, batch, optimizer step size and execution settings."""

    epochs: int = 10
    batch_size: int = 128
    #: None (not given): each model family's own ``default_learning_rate``; a value always wins
    learning_rate: float | None = dataclasses.field(
        default=None, metadata={"help": "optimizer step size; None: the family's own (e.g. its paper's)"})
    steps_per_execution: int = 1
    jit_compile: bool = False
    deterministic: bool = False
    precision: str = "float32"
    checkpoints_to_keep: int = dataclasses.field(default=1, metadata={
        "flag": "--keep-checkpoints",
        "help": "end-of-epoch checkpoints a run keeps (each holds weights + optimizer state: about 3x the weights)"})
    distribute: str = "none"

    def validate(self) -> None:
        _check_positive("epochs", self.epochs)
        _check_positive("batch_size", self.batch_size)
        if self.learning_rate is not None:
            _check_positive("learning_rate", self.learning_rate)
        _check_positive("steps_per_execution", self.steps_per_execution)
        _check_positive("checkpoints_to_keep", self.checkpoints_to_keep)
        check_choice("precision", self.precision, PRECISIONS)
        check_choice("distribute", self.distribute, DISTRIBUTE)


@dataclasses.dataclass
class RunConfig:
    """Everything needed to rebuild and retrain a run: family name and the three sections."""

    family: str
    model: ModelConfig
    data: DataConfig = dataclasses.field(default_factory=DataConfig)
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "model": self.model.to_dict(),
            "data": self.data.to_dict(),
            "train": self.train.to_dict(),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        if not isinstance(values, dict) or "family" not in values:
            raise GenlabError("a run config must be a mapping with a 'family' key")
        unknown = sorted(set(values) - {"family", "model", "data", "train"})
        if unknown:
            raise GenlabError(f"unknown run config section(s) {', '.join(unknown)}; known: family, model, data, train")
        family = run_family(values["family"])
        return cls(
            family=family.name,
            model=family.config_class.from_dict(values.get("model", {})),
            data=DataConfig.from_dict(values.get("data", {})),
            train=TrainConfig.from_dict(values.get("train", {})),
        )
