"""What a genlab training step costs beside the keras-io-style one: a decomposition by ablation.

For one family (``--family wgan-gp`` or ``autoencoder``), on the same random images as
speed.py, one ``fit`` measurement each (median of ``--repeats`` interleaved rounds) of:

* ``genlab``: the family as ``genlab train`` runs it (genlab pipeline, NanGuard every step);
* ``- guard``: no per-step callback (fit no longer waits for every step's logs);
* ``- logging``: a subclass whose ``train_step`` keeps only the losses: no gradient norms
  (WGAN-GP: ``d_grad_norm``, ``g_grad_norm``), no extra trackers (autoencoder: the MSE and
  BCE computed beside the optimized loss);
* ``spe N``: ``steps_per_execution`` = one whole step cycle per graph call (the Python cost
  of ``fit``'s loop and the callbacks, paid once per call, not per step);
* ``keras-io``: the reference of speed.py.

and, without running anything, the size of each traced ``train_step`` (graph nodes, with
the nodes of its ``tf.cond`` branches and gradient functions).

    python benchmarks/speed_profile.py --family wgan-gp

Writes benchmarks/results/speed/profile_<family>.md.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
from _common import results_dir, say

import genlab  # noqa: F401
import keras
import tensorflow as tf
from keras import ops
from reference import keras_io_autoencoder, keras_io_gan

from genlab.workflows.bench import CASES, build_family_model, measure_fit, steps_per_update_cycle, synthetic_batches, synthetic_images
from genlab.callbacks import NanGuard
from genlab.core.config import TrainConfig
from genlab.data.pipeline import scale_images
from genlab.models.autoencoder import Autoencoder
from genlab.models.wgan import WGANGP


class LeanWGANGP(WGANGP):
    """WGAN-GP whose steps log the two losses only (no gradient norms, no score means)."""

    metric_names = ("d_loss", "g_loss")

    def apply_gradients(self, optimizer, tape, loss, variables):
        optimizer.apply(tape.gradient(self.gradient_loss(optimizer, loss), variables), variables)
        return ops.zeros(())

    def record(self, **values):
        values = {k: v for k, v in values.items() if k in self.metric_names}
        return super().record(**values)


class LeanAutoencoder(Autoencoder):
    """Autoencoder whose steps track the optimized loss only (no MSE and BCE beside it)."""

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _update_metrics(self, images, reconstruction, loss):
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


LEAN = {"wgan-gp": LeanWGANGP, "autoencoder": LeanAutoencoder}


def graph_nodes(model, batch_size: int, shape) -> int:
    """Nodes of the traced ``train_step``, counting those of nested functions (cond branches, gradients)."""
    spec = (tf.TensorSpec((batch_size, *shape), tf.float32), tf.TensorSpec((batch_size,), tf.int32))
    graph = tf.function(model.train_step).get_concrete_function(spec).graph.as_graph_def()
    return len(graph.node) + sum(len(function.node_def) for function in graph.library.function)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", default="wgan-gp", choices=sorted(LEAN))
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    family, case = args.family, CASES[args.family]
    batch_size, shape = case.batch_size, case.input_shape
    images = synthetic_images(shape, 32 * batch_size)
    contenders = {}

    def add(name, model, data, examples, cycle, callbacks=(), **fit_arguments):
        contenders[name] = (model, data, examples, cycle, list(callbacks), fit_arguments)

    keras.utils.set_random_seed(0)
    genlab_model = build_family_model(family, shape, case.model, TrainConfig(batch_size=batch_size))
    cycle = steps_per_update_cycle(genlab_model)
    value_range = genlab_model.config.value_range
    dataset = synthetic_batches(shape, batch_size, value_range, images=images)

    def guard(model):
        return [NanGuard(type(model).divergence_hint, type(model).divergence_limit)]

    add("genlab", genlab_model, dataset, batch_size, cycle, guard(genlab_model))
    unguarded = build_family_model(family, shape, case.model, TrainConfig(batch_size=batch_size))
    add("- guard", unguarded, dataset, batch_size, cycle)
    lean = LEAN[family](genlab_model.config)
    lean.compile_for_training(TrainConfig(batch_size=batch_size))
    lean.build_optimizers()
    add("- guard - logging", lean, dataset, batch_size, cycle)
    spe = max(cycle, 4)
    batched = build_family_model(family, shape, case.model, TrainConfig(batch_size=batch_size, steps_per_execution=spe))
    add(f"spe {spe}", batched, dataset, batch_size, cycle, guard(batched))
    arrays = (scale_images(images, value_range), np.zeros(len(images), np.int32))
    if family == "wgan-gp":
        reference, examples = keras_io_gan.wgan_gp(), 5 * batch_size
    else:
        reference, examples = keras_io_autoencoder.autoencoder(), batch_size
    add("keras-io", reference, arrays, examples, 1, batch_size=batch_size)

    nodes = {name: graph_nodes(model, batch_size, shape) for name, (model, *_rest) in contenders.items()}
    runs = {name: [] for name in contenders}
    for name, (model, data, examples, step_cycle, callbacks, fit_arguments) in contenders.items():
        measure_fit(model, data, examples, 0.0, 2, 1, callbacks, **fit_arguments)  # trace
    for _ in range(args.repeats):
        for name, (model, data, examples, step_cycle, callbacks, fit_arguments) in contenders.items():
            runs[name].append(measure_fit(model, data, examples, args.seconds, 1, step_cycle, callbacks, **fit_arguments))
    base = statistics.median(m.ms_per_step for m in runs["genlab"])  # one critic update (or step) per genlab step
    lines = [f"# Where a genlab {family} step goes (batch {batch_size}, {shape[0]}x{shape[1]}x{shape[2]})", "",
             "| variant | images/s | cpu-time images/s | ms per update | vs genlab | graph nodes of train_step |",
             "|---|---|---|---|---|---|"]
    for name, measurements in runs.items():
        rate = statistics.median(m.per_second for m in measurements)
        cpu = statistics.median(m.per_cpu_second for m in measurements)
        updates_per_step = contenders[name][2] // batch_size  # keras-io WGAN-GP: 5 critic updates a step
        ms = statistics.median(m.ms_per_step for m in measurements) / updates_per_step
        lines.append(f"| {name} | {rate:.0f} | {cpu:.0f} | {ms:.1f} | {ms - base:+.1f} ms | {nodes[name]} |")
    text = "\n".join(lines) + (f"\n\n{args.repeats} interleaved rounds x {args.seconds:g} s, median; "
                               "ms per update: per critic update for WGAN-GP (a keras-io step is 5 of them), "
                               "per step otherwise.\n")
    say(text)
    (results_dir("speed") / f"profile_{family}.md").write_text(text)


if __name__ == "__main__":
    main()
