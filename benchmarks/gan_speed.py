"""Training speed of genlab's DCGAN and WGAN-GP beside keras-io-style references, same networks.

Both sides train the same Functional networks (genlab's builders, DCGAN layout on 32x32x3)
with the same optimizers on the same in-memory batches through ``fit``; only the model
class differs: genlab's family vs ``benchmarks/reference/keras_io_gan.py``. Throughput is
counted in real images seen by discriminator (critic) updates per second, so that one
WGAN-GP critic update is the same work on both sides: genlab does one critic update per
``fit`` step and a generator update every ``critic_steps`` steps (the papers' Algorithm 1);
the keras-io style does ``critic_steps`` critic updates on one batch, then a generator update.

Measurements are interleaved (genlab, reference, genlab, ...) and the median is reported,
per second of wall-clock time and per second of this process's CPU time: the cores are
shared with other jobs, which makes wall-clock rates noisy; the CPU-time rate measures the
work each implementation needs and is the figure to compare. The generator's upsampling (transposed convolution vs
nearest upsampling + convolution) is measured too; genlab's default is the faster one.

    python benchmarks/gan_speed.py --seconds 20 --repeats 3

Writes benchmarks/results/gan_speed/result.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
import keras
import tensorflow as tf
from reference.keras_io_gan import KerasIoDCGAN, KerasIoWGANGP

from genlab.core.config import TrainConfig
from genlab.models.gan import DCGAN, DCGANConfig
from genlab.models.gan.networks import build_discriminator, build_generator
from genlab.models.wgan import WGANGP, WGANGPConfig


def batches(batch_size: int) -> tf.data.Dataset:
    images = np.random.default_rng(0).uniform(-1, 1, size=(8 * batch_size, 32, 32, 3)).astype("float32")
    labels = np.zeros(len(images), "int32")
    return tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size, drop_remainder=True).repeat()


def genlab_model(kind: str, config):
    model = DCGAN(config) if kind == "dcgan" else WGANGP(config)
    model.compile_for_training(TrainConfig())
    return model


def reference_model(kind: str, config, jit_compile):
    """``jit_compile`` False: the same execution as genlab's default; "auto" (Keras' default) keeps XLA off on a CPU-only machine (Keras 3.15)."""
    generator, discriminator = build_generator(config), build_discriminator(config)
    if kind == "dcgan":
        model = KerasIoDCGAN(discriminator, generator, config.latent_dim)
        model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), keras.optimizers.Adam(2e-4, beta_1=0.5),
                      keras.losses.BinaryCrossentropy(from_logits=True), jit_compile=jit_compile)
    else:
        model = KerasIoWGANGP(discriminator, generator, config.latent_dim, config.critic_steps, config.gp_weight)
        model.compile(keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9), keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9),
                      jit_compile=jit_compile)
    return model


class Meter:
    """A traced model and the images one ``fit`` step shows its discriminator."""

    def __init__(self, model, dataset, images_per_step: int, step_multiple: int):
        self.model, self.dataset = model, dataset
        self.images_per_step, self.step_multiple = images_per_step, step_multiple
        self.model.fit(dataset, epochs=1, steps_per_epoch=step_multiple, verbose=0)  # trace
        start = time.perf_counter()
        self.model.fit(dataset, epochs=1, steps_per_epoch=step_multiple, verbose=0)
        self.seconds_per_step = (time.perf_counter() - start) / step_multiple

    def images_per_second(self, seconds: float) -> tuple[float, float]:
        """(per wall-clock second, per second of this process's CPU time)."""
        steps = max(1, round(seconds / self.seconds_per_step / self.step_multiple)) * self.step_multiple
        wall, cpu = time.perf_counter(), time.process_time()
        self.model.fit(self.dataset, epochs=1, steps_per_epoch=steps, verbose=0)
        images = steps * self.images_per_step
        return images / (time.perf_counter() - wall), images / (time.process_time() - cpu)


def compare(kind: str, upsample: str, args, dataset) -> dict:
    keras.utils.set_random_seed(0)
    common = dict(input_shape=(32, 32, 3), latent_dim=args.latent, filters=args.filters, upsample=upsample)
    if kind == "dcgan":
        config = DCGANConfig(**common)
        ours = Meter(genlab_model(kind, config), dataset, args.batch_size, 1)
        theirs = Meter(reference_model(kind, config, args.reference_jit), dataset, args.batch_size, 1)
    else:
        config = WGANGPConfig(**common, critic_steps=args.critic_steps)
        ours = Meter(genlab_model(kind, config), dataset, args.batch_size, args.critic_steps)
        theirs = Meter(reference_model(kind, config, args.reference_jit), dataset, args.batch_size * args.critic_steps, 1)
    rates = {"genlab": [], "reference": []}
    for _ in range(args.repeats):
        rates["genlab"].append(ours.images_per_second(args.seconds))
        rates["reference"].append(theirs.images_per_second(args.seconds))
    row = {"model": kind, "upsample": upsample}
    for index, clock in ((0, "wall"), (1, "cpu")):
        genlab_rate = statistics.median(r[index] for r in rates["genlab"])
        reference_rate = statistics.median(r[index] for r in rates["reference"])
        row.update({f"genlab_{clock}": genlab_rate, f"reference_{clock}": reference_rate,
                    f"ratio_{clock}": genlab_rate / reference_rate})
    row["runs"] = {k: [[round(v, 1) for v in r] for r in vs] for k, vs in rates.items()}
    say(f"{kind:7s} {upsample:9s} images/s per wall second: genlab {row['genlab_wall']:6.1f}, reference "
        f"{row['reference_wall']:6.1f}, ratio {row['ratio_wall']:.2f} | per CPU second: genlab {row['genlab_cpu']:6.1f}, "
        f"reference {row['reference_cpu']:6.1f}, ratio {row['ratio_cpu']:.2f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of one measurement (default: 20)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved measurements per side (default: 3)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--latent", type=int, default=100)
    parser.add_argument("--filters", default="64,128,256")
    parser.add_argument("--critic-steps", type=int, default=5)
    parser.add_argument("--models", default="dcgan,wgan-gp")
    parser.add_argument("--reference-jit", default="false", choices=["false", "auto"],
                        help="reference's jit_compile: false (as genlab's default; the fair comparison) or auto "
                             "(Keras' compile default, which picks XLA)")
    parser.add_argument("--upsampling", default="transpose,resize", help="generator upsampling variants to measure")
    args = parser.parse_args()
    args.filters = tuple(int(f) for f in args.filters.split(","))
    args.reference_jit = False if args.reference_jit == "false" else "auto"
    dataset = batches(args.batch_size)
    say(f"budget: {args.repeats} x {args.seconds:.0f} s per side and variant; batch {args.batch_size} of 32x32x3, "
        f"filters {args.filters}, latent {args.latent}; reference jit_compile={args.reference_jit}; TensorFlow {tf.__version__}, Keras {keras.__version__}, "
        f"2 shared CPU cores")
    rows = []
    for kind in args.models.split(","):
        for upsample in args.upsampling.split(","):
            rows.append(compare(kind, upsample, args, dataset))
    say(markdown_table(rows, ["model", "upsample", "genlab_wall", "reference_wall", "ratio_wall", "genlab_cpu",
                              "reference_cpu", "ratio_cpu"]))
    for kind in args.models.split(","):
        measured = {r["upsample"]: r["genlab_cpu"] for r in rows if r["model"] == kind}
        if len(measured) > 1:
            say(f"{kind}: fastest generator upsampling here: {max(measured, key=measured.get)}")
    out = results_dir("gan_speed") / "result.json"
    out.write_text(json.dumps({"settings": {k: v for k, v in vars(args).items()}, "rows": rows}, indent=2))
    say(f"written {out}")


if __name__ == "__main__":
    main()
