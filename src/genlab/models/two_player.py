"""One base for every generator/discriminator family (GANs, WGANs, cGAN, StyleGAN, CycleGAN,
pix2pix, SRGAN): two optimizers, named trackers, the gradient step, the moving average of the
generator and the learning-rate policy.

A family subclasses :class:`TwoPlayerModel` (its config :class:`TwoPlayerConfig`) and fills in

* ``make_optimizer(learning_rate, name)``: its paper's optimizer (Adam(2e-4, 0.5) for DCGAN,
  RMSProp for WGAN, ...), wrapped here for loss scaling and built before the step is traced;
* ``generator_variables()`` and ``discriminator_variables()``: what each optimizer updates;
* ``metric_names``: the ``Mean`` trackers its ``train_step`` fills through :meth:`TwoPlayerModel.record`;
* optionally ``ema_pairs()`` (and ``ema_copies``): a moving-average copy of the generator, moved
  after each generator step by :meth:`TwoPlayerModel.update_generator_average`.

Learning rates, for each of the two optimizers: the network's own config value
(``generator_learning_rate`` / ``discriminator_learning_rate``) if set, else ``--learning-rate``
(``TrainConfig.learning_rate``) if given, else the family's ``default_learning_rate`` (a class
variable of its config, e.g. the paper's 2e-4). A value that is given always wins, whatever it
equals. Checkpoints key the optimizers' state by the names ``generator`` and ``discriminator``
(see :meth:`genlab.models.base.GenerativeModel.training_state`); a checkpoint also holds each
optimizer's learning rate, so ``--resume`` continues at the rates the run trained with.
"""

from __future__ import annotations

from typing import ClassVar

import keras
from keras import ops

from genlab.core.config import TrainConfig
from genlab.core.distribute import replicas_in_sync
from genlab.models.base import GenerativeModel, loss_scaled
from genlab.models.two_player_config import TwoPlayerConfig

#: below this many steps the moving average warms up (decay (1 + t) / (10 + t), as TensorFlow's
#: ExponentialMovingAverage with num_updates), so short runs do not sample an untrained generator
EMA_WARMUP = 10.0


def update_moving_average(averages, values, decay, step, copied=None) -> None:
    """Move each of ``averages`` toward ``values`` after optimizer step ``step``: the exponential
    moving average of the generator's weights (Yazici et al. 2019; StyleGAN's G_ema).

    ``copied[i]`` True: ``averages[i]`` takes ``values[i]`` as it is instead (buffers such as
    StyleGAN's tracked w average, frozen weights).
    """
    step = ops.cast(step, "float32")
    beta = ops.minimum(ops.cast(decay, "float32"), (1.0 + step) / (EMA_WARMUP + step))  # beta_t = min(beta, (1+t)/(10+t))
    for average, value, copy in zip(averages, values, copied or [False] * len(averages)):
        if copy:
            average.assign(value)
        else:
            average.assign(beta * average + (1.0 - beta) * ops.cast(value, average.dtype))  # theta_ema <- beta theta_ema + (1 - beta) theta


def global_norm(gradients):
    """sqrt(sum of squared entries) over a list of gradient tensors (None entries skipped)."""
    squares = [ops.sum(ops.square(ops.cast(g, "float32"))) for g in gradients if g is not None]
    return ops.sqrt(ops.sum(ops.stack(squares))) if squares else ops.zeros(())


class TwoPlayerModel(GenerativeModel):
    """A generator side and a discriminator side, each with its own optimizer (see the module docstring)."""

    config_class = TwoPlayerConfig
    #: names of the Mean trackers, in the order logged
    metric_names: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config=None, **kwargs):
        super().__init__(config, **kwargs)
        self.generator_optimizer: keras.optimizers.Optimizer | None = None  # created by compile_for_training
        self.discriminator_optimizer: keras.optimizers.Optimizer | None = None
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}

    # what a family fills in -------------------------------------------------------------
    def make_optimizer(self, learning_rate: float, name: str) -> keras.optimizers.Optimizer:
        raise TypeError(f"{type(self).__name__} must define make_optimizer()")

    def generator_variables(self) -> list:
        raise TypeError(f"{type(self).__name__} must define generator_variables()")

    def discriminator_variables(self) -> list:
        raise TypeError(f"{type(self).__name__} must define discriminator_variables()")

    # optimizers ---------------------------------------------------------------------------
    def learning_rates(self, train: TrainConfig) -> tuple[float, float]:
        """(generator, discriminator) step sizes: each network's config value if set, else
        :meth:`learning_rate` (``--learning-rate`` if given, else the family's default)."""
        rate = self.learning_rate(train)
        own = (self.config.generator_learning_rate, self.config.discriminator_learning_rate)
        return tuple(rate if value is None else value for value in own)

    def compile_for_training(self, train: TrainConfig) -> None:
        generator_rate, discriminator_rate = self.learning_rates(train)
        # dynamic loss scaling under mixed_float16 (names: what optimizers() calls them in checkpoints)
        self.generator_optimizer = loss_scaled(self.make_optimizer(generator_rate, "generator_optimizer"))
        self.discriminator_optimizer = loss_scaled(self.make_optimizer(discriminator_rate, "discriminator_optimizer"))
        self.compile(optimizer=None, steps_per_execution=train.steps_per_execution, jit_compile=train.jit_compile)
        self.build_optimizers()  # now, so that a loss-scaling optimizer has its dynamic scale before tracing

    def get_compile_config(self):
        """None: a reloaded ``.keras`` file is not recompiled (checkpoints carry both optimizers)."""
        return None

    def optimizers(self):
        if self.generator_optimizer is None:
            return {}
        return {"generator": self.generator_optimizer, "discriminator": self.discriminator_optimizer}

    def optimizer_targets(self):
        return {"generator": self.generator_variables(), "discriminator": self.discriminator_variables()}

    # the gradient step ------------------------------------------------------------------------
    def apply_gradients(self, optimizer, tape, loss, variables, extra_gradients=None):
        """One optimizer step on ``loss`` (recorded by ``tape``, which may be closed already); returns
        the global norm of the gradient of ``loss`` on this replica's rows.

        The gradient is taken of ``loss * factor`` through ``output_gradients``, factor = 1 / replicas
        (tf.distribute sums the replicas' gradients) times the dynamic loss scale under mixed_float16
        (``optimizer.apply`` divides it out again). A weight ``loss`` does not reach gets a zero
        gradient (the loss-scaling optimizer refuses None). ``extra_gradients`` (already scaled, one
        per variable) are added before the step: StyleGAN's lazy R1 term.
        """
        factor = ops.cast(1.0 / replicas_in_sync(), loss.dtype)
        scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        if scaled:
            factor = factor * ops.cast(optimizer.dynamic_scale, loss.dtype)
        gradients = tape.gradient(loss, variables, output_gradients=ops.ones_like(loss) * factor)  # d(factor * L)/d theta
        gradients = [ops.zeros_like(v) if g is None else g for g, v in zip(gradients, variables)]
        norm = global_norm(gradients) / ops.cast(factor, "float32")  # ||dL/d theta||
        if extra_gradients is not None:
            gradients = [g + e for g, e in zip(gradients, extra_gradients)]
        optimizer.apply(gradients, variables)
        if scaled:  # a step skipped by dynamic loss scaling (overflow at this scale) reports 0, not inf
            norm = ops.where(ops.isfinite(norm), norm, 0.0)
        return norm

    # trackers ---------------------------------------------------------------------------------
    @property
    def metrics(self):
        return list(self.trackers.values())

    def record(self, **values):
        """Update the trackers named in ``values``; return every tracker's running mean (the step's logs)."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # the moving average of the generator ----------------------------------------------------
    def ema_pairs(self) -> list[tuple]:
        """(generator variable, its moving-average copy) pairs; none by default (no average kept).
        A family that keeps one declares ``ema_decay`` in its config."""
        return []

    def ema_copies(self, variable) -> bool:
        """True where the average takes ``variable`` as it is instead of averaging it; never by default."""
        return False

    def reset_moving_average(self) -> None:
        """The average starts as a copy of the generator."""
        for variable, average in self.ema_pairs():
            average.assign(variable)

    def update_generator_average(self) -> None:
        """After a generator step: move the average toward the generator (see :func:`update_moving_average`)."""
        pairs = self.ema_pairs()
        if pairs:
            update_moving_average([average for _, average in pairs], [variable for variable, _ in pairs],
                                  self.config.ema_decay, self.generator_optimizer.iterations,
                                  copied=[self.ema_copies(variable) for variable, _ in pairs])
