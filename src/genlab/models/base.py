"""The contract every model family follows.

A family is one ``keras.Model`` subclass of :class:`GenerativeModel`, built from its typed
config (``self.config``) and registered with :func:`genlab.core.registry.register_model`:

* it owns named Functional sub-networks, returned by :meth:`networks` (one weights file each
  in a run directory) and a ``keras.random.SeedGenerator`` (``self.seed_generator``) for all
  its randomness, so that runs are reproducible and resumable;
* it implements ``train_step`` and ``test_step`` and exposes ``keras.metrics.Mean`` trackers
  through ``metrics``;
* it creates its own optimizers in :meth:`compile_for_training` (one, or several for GANs,
  returned by :meth:`optimizers` and built by :meth:`build_optimizers`), because Keras does
  not restore the optimizers of a model that overrides ``compile``; :meth:`training_state`
  and :meth:`restore_training_state` carry model, RNG and optimizer state for ``--resume``;
* ``get_config`` returns ``{"config": <config dict>}`` and ``from_config`` rebuilds from it,
  so a saved ``.keras`` file loads with ``safe_mode=True``;
* :meth:`preview` gives the rows of the per-epoch sample grid; :meth:`evaluation_table`
  the figures ``genlab evaluate`` prints.

Generator families (VAE, GANs, StyleGAN) also implement :meth:`decode_latents` and set
``is_generator = True``; :meth:`sample_latents` and :meth:`generate` then work unchanged,
and ``genlab sample`` / ``genlab interpolate`` use only these three methods (plus
``encode_latents(images, labels=None)`` where a family can encode, so that interpolation
starts from test images). Conditional
families set ``is_conditional = True`` and take integer ``labels`` (checked with
:meth:`check_labels`, which raises GenlabError for a wrong shape or an out-of-range class).
"""

from __future__ import annotations

from typing import Any, ClassVar

import keras
import numpy as np

from genlab.core.compat import SkipSymbolicBuildWhenBuilt
from genlab.core.config import ModelConfig, TrainConfig
from genlab.core.distribute import scale_for_gradients
from genlab.core.errors import GenlabError
from genlab.layers.blocks import NORMALIZATION_LAYERS, layer_blocks  # noqa: F401  (part of the family contract)


def predict_in_batches(network: keras.Model, inputs, batch_size: int = 256) -> np.ndarray:
    """Run ``network`` in inference mode over ``inputs`` in batches; return one numpy array.

    A direct call per batch avoids ``predict``'s retracing for every new network and size.
    """
    inputs = np.asarray(inputs, np.float32)
    outputs = [np.asarray(network(inputs[i : i + batch_size], training=False)) for i in range(0, len(inputs), batch_size)]
    if not outputs:
        raise GenlabError("no inputs given")
    return np.concatenate(outputs)


def loss_scaled(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """``optimizer`` wrapped for dynamic loss scaling under the ``mixed_float16`` policy, as ``compile``
    does for its own optimizer (for families that create several optimizers themselves)."""
    if keras.mixed_precision.global_policy().name == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{optimizer.name}_loss_scaled")
    return optimizer


class GenerativeModel(SkipSymbolicBuildWhenBuilt):
    """Base class of every genlab model family (see the module docstring for the contract)."""

    family: ClassVar[str] = ""
    config_class: ClassVar[type] = ModelConfig
    #: shown when training diverges (NaN or infinite loss)
    divergence_hint: ClassVar[str] = "lower --learning-rate, check the input data for NaN values"
    #: a loss whose magnitude exceeds this also stops training, as exploded (None: only NaN/inf do)
    divergence_limit: ClassVar[float | None] = None
    #: image sources ``genlab train`` loads: 1 (--data), or 2 for image-to-image translation
    #: (--data-a and --data-b; batches are (a, b) pairs, see :mod:`genlab.data.pairs`)
    data_sources: ClassVar[int] = 1
    #: True where image i of domain A must match image i of domain B (--paired, e.g. pix2pix)
    needs_paired_data: ClassVar[bool] = False

    def __init__(self, config: ModelConfig | dict[str, Any] | None = None, **kwargs: Any):
        for key in ("trainable", "dtype"):
            kwargs.pop(key, None)
        kwargs.setdefault("name", (self.family or type(self).__name__).replace("-", "_"))
        super().__init__(**kwargs)
        if config is None:
            config = self.config_class()
        elif isinstance(config, dict):
            config = self.config_class.from_dict(config)
        elif not isinstance(config, self.config_class):
            raise GenlabError(f"{type(self).__name__} needs a {self.config_class.__name__}, got {type(config).__name__}")
        self.config = config
        self.seed_generator = keras.random.SeedGenerator(config.seed)

    # serialization -------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config.to_dict()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "GenerativeModel":
        config = dict(config)
        return cls(config=config.pop("config"), **config)

    # sub-networks and building ----------------------------------------------------------------
    def networks(self) -> dict[str, keras.Model]:
        """Named sub-networks, one weights file each. Every family overrides this."""
        raise TypeError(f"{type(self).__name__} must define networks()")

    def build_all(self) -> None:
        """Mark the composite model built (its Functional sub-networks are built at construction)."""
        for network in self.networks().values():
            if not network.built:
                raise GenlabError(f"sub-network {network.name!r} of {self.family} is not built")
        self.built = True

    def build(self, input_shape: Any = None) -> None:  # noqa: D102 - Keras hook
        self.build_all()

    def everything_built(self) -> bool:
        """True when every network and optimizer is built (genlab builds them before ``fit``):
        then Keras' first-batch symbolic build is skipped (see :mod:`genlab.core.compat`)."""
        return all(network.built for network in self.networks().values()) and all(
            optimizer.built for optimizer in self.optimizers().values())

    # optimizers ---------------------------------------------------------------------------
    def learning_rate(self, train: TrainConfig) -> float:
        """The step size: ``--learning-rate`` (or the config file's value) when given, whatever its
        value, else the family's own ``default_learning_rate`` (declared by its config class)."""
        return self.config.default_learning_rate if train.learning_rate is None else train.learning_rate

    def compile_for_training(self, train: TrainConfig) -> None:
        """Create the optimizer(s) and compile. Families with several optimizers override this."""
        self.compile(
            optimizer=keras.optimizers.Adam(learning_rate=self.learning_rate(train)),
            steps_per_execution=train.steps_per_execution,
            jit_compile=train.jit_compile,
        )

    def training_callbacks(self, train: TrainConfig) -> list[keras.callbacks.Callback]:
        """Callbacks the family needs during ``fit`` (learning-rate decay, training phases); none by default."""
        return []

    @staticmethod
    def gradient_loss(optimizer: keras.optimizers.Optimizer, loss):
        """The loss a ``train_step`` differentiates for ``optimizer``: divided by the number of
        replicas under ``tf.distribute`` (whose optimizers sum the replicas' gradients, see
        :mod:`genlab.core.distribute`), then multiplied by the dynamic loss scale under
        ``mixed_float16`` (a no-op for other optimizers; ``apply`` divides it out again)."""
        return optimizer.scale_loss(scale_for_gradients(loss))

    def optimizers(self) -> dict[str, keras.optimizers.Optimizer]:
        """Named optimizers whose state a checkpoint must carry."""
        return {"optimizer": self.optimizer} if getattr(self, "optimizer", None) is not None else {}

    def optimizer_targets(self) -> dict[str, list]:
        """The variables each optimizer updates (by the names of :meth:`optimizers`)."""
        return {"optimizer": self.trainable_variables}

    def build_optimizers(self) -> None:
        """Create every optimizer's slot variables now (needed before restoring their state)."""
        targets = self.optimizer_targets()
        for name, optimizer in self.optimizers().items():
            if not optimizer.built:
                optimizer.build(targets[name])

    # training state for --resume ---------------------------------------------------------
    def _model_state_variables(self) -> list:
        optimizer_ids = {id(v) for opt in self.optimizers().values() for v in opt.variables}
        metric_ids = {id(v) for metric in self.metrics for v in metric.variables}
        return [v for v in self.variables if id(v) not in optimizer_ids and id(v) not in metric_ids]

    def training_state(self) -> dict[str, np.ndarray]:
        """Every variable needed to continue training exactly: weights, RNG states, optimizers."""
        state = {f"model/{i:05d}": np.asarray(v.numpy()) for i, v in enumerate(self._model_state_variables())}
        for name, optimizer in self.optimizers().items():
            for i, variable in enumerate(optimizer.variables):
                state[f"optimizer/{name}/{i:05d}"] = np.asarray(variable.numpy())
        return state

    def restore_training_state(self, state: dict[str, np.ndarray]) -> None:
        groups: dict[str, list] = {"model": self._model_state_variables()}
        for name, optimizer in self.optimizers().items():
            groups[f"optimizer/{name}"] = list(optimizer.variables)
        for group, variables in groups.items():
            keys = sorted(k for k in state if k.rsplit("/", 1)[0] == group)
            if len(keys) != len(variables):
                raise GenlabError(
                    f"checkpoint does not match the model: {group} has {len(keys)} saved arrays "
                    f"but the model has {len(variables)} variables"
                )
            for key, variable in zip(keys, variables):
                if tuple(state[key].shape) != tuple(variable.shape):
                    raise GenlabError(
                        f"checkpoint does not match the model: {variable.path} has shape "
                        f"{tuple(variable.shape)}, saved {tuple(state[key].shape)}"
                    )
                variable.assign(state[key])

    # what callbacks and commands ask of a family ------------------------------------------
    def preview(self, images: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
        """Rows of images (in the model's value range) for the per-epoch sample grid."""
        return [images]

    def preview_titles(self, rows: int) -> list[str] | None:
        """The label of each row of :meth:`preview`'s grid (drawn at its left), or None."""
        return ["test images"] if rows == 1 else None

    def evaluation_table(self, data, limit: int | None = None) -> dict[str, dict[str, float]]:
        """``{row name: {metric: value}}`` computed on the test split, for ``genlab evaluate``."""
        raise GenlabError(f"genlab evaluate is not available for family {self.family!r}")

    # generator contract -----------------------------------------------------------------
    is_generator: ClassVar[bool] = False
    is_conditional: ClassVar[bool] = False

    def sample_latents(self, n: int, seed: int = 0) -> np.ndarray:
        """``n`` latent vectors from the prior N(0, I), reproducible for a given ``seed``."""
        return np.random.default_rng(seed).standard_normal((n, self.config.latent_dim)).astype(np.float32)

    def decode_latents(self, latents: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """Images (in the value range) for latent vectors; generator families override this."""
        raise GenlabError(f"runs of family {self.family!r} do not generate images")

    def generate(self, n: int, labels: np.ndarray | int | None = None, seed: int = 0) -> np.ndarray:
        """``n`` new images from the prior (and class ``labels`` for conditional families)."""
        if n <= 0:
            raise GenlabError(f"number of samples must be > 0, got {n}")
        if self.is_conditional:
            labels = self.check_labels(np.full(n, labels) if np.isscalar(labels) else labels, n)
        elif labels is not None:
            raise GenlabError(f"family {self.family!r} is not conditional; it takes no label")
        return self.decode_latents(self.sample_latents(n, seed), labels)

    def check_labels(self, labels, n: int) -> np.ndarray:
        """Integer class labels shaped (n,), each in [0, num_classes); GenlabError otherwise."""
        if labels is None:
            raise GenlabError(f"family {self.family!r} is conditional: give a class label (0..{self.config.num_classes - 1})")
        labels = np.asarray(labels)
        if labels.shape != (n,):
            raise GenlabError(f"expected {n} labels shaped ({n},), got shape {labels.shape}")
        if not np.issubdtype(labels.dtype, np.integer):
            if not np.all(np.mod(labels, 1) == 0):
                raise GenlabError(f"labels must be integers, got {labels[:5]}")
        labels = labels.astype(np.int64)
        bad = labels[(labels < 0) | (labels >= self.config.num_classes)]
        if len(bad):
            raise GenlabError(f"label {int(bad[0])} is out of range: this model has classes 0..{self.config.num_classes - 1}")
        return labels

    def check_input_shape(self, shape: tuple[int, ...], where: str = "data") -> None:
        if tuple(shape) != tuple(self.config.input_shape):
            raise GenlabError(
                f"{where} has shape {tuple(shape)} but this run was trained on {tuple(self.config.input_shape)}"
            )


    # transfer learning (genlab.transfer) ---------------------------------------------------
    #: what ``genlab finetune --strategy feature-extraction`` freezes when no --freeze is given
    #: (a freeze spec, see :mod:`genlab.transfer.freezing`); "" means the user must say
    transfer_feature_extraction: ClassVar[str] = ""

    def transfer_blocks(self) -> dict[str, list[list[keras.layers.Layer]]]:
        """Freezable groups: ``{group name: ordered blocks}``, each block a list of layers.

        Freeze specs (``encoder``, ``g:2``, ``re:PATTERN``) and per-block learning rates address
        these. Default: one group per trainable sub-network of :meth:`networks` (a moving
        average copy such as ``generator_ema`` is not one), blocks from :func:`layer_blocks`.
        Families override it for coarser blocks (a generator's resolution stages) or extra
        groups (a mapping network inside the generator).
        """
        return {name: layer_blocks(network) for name, network in self.networks().items() if network.trainable}
