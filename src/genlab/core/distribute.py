"""Training on several devices or machines with ``tf.distribute`` (``--distribute``).

* ``none``: TensorFlow's default strategy (one device).
* ``mirrored``: :class:`tf.distribute.MirroredStrategy`, one replica per local GPU, gradients
  summed by all-reduce. Without a GPU, ``GENLAB_CPU_REPLICAS=N`` splits the CPU into N logical
  devices, one replica each (for testing a setup; one CPU replica already uses every core).
* ``multi-worker``: :class:`tf.distribute.MultiWorkerMirroredStrategy` over the machines named
  in the ``TF_CONFIG`` environment variable (the usual TensorFlow cluster description); every
  worker runs the same command, the chief (worker 0) writes the run directory.

What a custom ``train_step`` must do to be correct under these strategies, and where genlab
does it:

* ``fit`` splits each global batch of ``--batch-size`` rows between the replicas, and the
  optimizer *sums* the replicas' gradients. A loss averaged over a replica's rows must
  therefore be divided by the number of replicas before differentiating, so that the sum is
  the gradient of the mean over the global batch: :func:`scale_for_gradients`, used by every
  family through :meth:`genlab.models.base.GenerativeModel.gradient_loss`.
* Random draws inside a step (GAN latents, WGAN-GP interpolation weights) come from the
  model's ``SeedGenerator``, whose state is mirrored: every replica would draw the same
  numbers. :func:`replica_random_normal` and :func:`replica_random_uniform` draw the global
  batch's numbers and keep this replica's rows, so the replicas differ and a distributed
  step sees exactly the numbers of a one-device step on the same global batch.
* BatchNorm statistics are per replica unless the layer is ``synchronized``; genlab's
  networks use synchronized BatchNorm (all-reduced batch moments) so a distributed step
  equals a one-device step.
* Metrics (``keras.metrics.Mean``) are aggregated across replicas by Keras.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import keras
import tensorflow as tf

from genlab.core.errors import GenlabError


def make_strategy(name: str) -> tf.distribute.Strategy:
    """The ``tf.distribute`` strategy for ``--distribute NAME``."""
    if name == "none":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        _split_cpu_if_asked()
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        cluster = _cluster_spec()
        if cluster is None:
            raise GenlabError(
                "--distribute multi-worker needs the TF_CONFIG environment variable, e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, "task": {"type": "worker", "index": 0}}'
            )
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise GenlabError(f"unknown --distribute {name!r}; expected one of none, mirrored, multi-worker")


def _split_cpu_if_asked() -> None:
    text = os.environ.get("GENLAB_CPU_REPLICAS")
    if not text or tf.config.list_physical_devices("GPU"):
        return
    try:
        replicas = int(text)
    except ValueError:
        raise GenlabError(f"GENLAB_CPU_REPLICAS must be a whole number, got {text!r}") from None
    if replicas < 1:
        raise GenlabError(f"GENLAB_CPU_REPLICAS must be >= 1, got {replicas}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    if len(tf.config.get_logical_device_configuration(cpu) or []) == replicas:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)
    except RuntimeError:
        raise GenlabError("GENLAB_CPU_REPLICAS must be set before TensorFlow starts (a new process)") from None


def _cluster_spec() -> dict[str, Any] | None:
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise GenlabError(f"TF_CONFIG is not valid JSON: {error}") from None
    if not isinstance(spec, dict) or "cluster" not in spec or "task" not in spec:
        raise GenlabError(f"TF_CONFIG must have 'cluster' and 'task' keys, got {text!r}")
    return spec


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """True for the process that writes the run directory (worker 0, or the only process)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "cluster_spec", None) or not resolver.cluster_spec().as_dict():
        return True
    task_type, task_id = resolver.task_type, resolver.task_id
    return task_type in (None, "chief") or (task_type == "worker" and task_id == 0
                                             and "chief" not in resolver.cluster_spec().as_dict())


def worker_scratch_directory() -> str:
    """Where a non-chief worker writes its copy of the run (deleted when training ends)."""
    return tempfile.mkdtemp(prefix="genlab-worker-")


def replicas_in_sync() -> int:
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context
        return tf.distribute.get_strategy().num_replicas_in_sync
    return context.num_replicas_in_sync


def scale_for_gradients(loss):
    """``loss / replicas``: a per-replica mean loss whose summed gradients equal the global mean's."""
    replicas = replicas_in_sync()
    if replicas == 1:
        return loss
    return loss / tf.cast(replicas, loss.dtype)


def _replica_rows(draw, shape, dtype):
    """``draw(global shape)`` sliced to this replica's rows (see the module docstring)."""
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas == 1:
        return draw(shape)
    rows = shape[0]
    full = draw((rows * replicas, *shape[1:]))
    start = tf.cast(context.replica_id_in_sync_group, tf.int32) * tf.cast(rows, tf.int32)
    return tf.slice(full, [start] + [0] * (len(shape) - 1), [rows] + [-1] * (len(shape) - 1))


def replica_random_normal(shape, seed, dtype: str = "float32"):
    """``keras.random.normal(shape)`` for one replica's rows of the global batch (seed: a SeedGenerator)."""
    return _replica_rows(lambda full: keras.random.normal(full, seed=seed, dtype=dtype), tuple(shape), dtype)


def replica_random_uniform(shape, seed, dtype: str = "float32"):
    """``keras.random.uniform(shape)`` in [0, 1) for one replica's rows of the global batch."""
    return _replica_rows(lambda full: keras.random.uniform(full, seed=seed, dtype=dtype), tuple(shape), dtype)


def is_multi_worker(strategy: tf.distribute.Strategy) -> bool:
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def give_logs_a_batch_axis(model: keras.Model) -> None:
    """Make ``model``'s train and test steps return each log value shaped (1,).

    Under ``MultiWorkerMirroredStrategy``, Keras 3 averages the step's logs across workers with
    ``strategy.reduce("MEAN", value, axis=0)``, which needs a leading axis that scalar logs lack.
    """
    for name in ("train_step", "test_step"):
        step = getattr(model, name)

        def with_axis(data, step=step):
            return {key: keras.ops.reshape(value, (1,)) for key, value in step(data).items()}

        object.__setattr__(model, name, with_axis)
