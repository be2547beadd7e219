"""Does transfer learning pay? MNIST -> Fashion-MNIST autoencoders with 100, 500 and 2,000 target images.

Part A. A convolutional autoencoder (latent 32, MSE) is trained on MNIST (the source). On a
Fashion-MNIST subset (the target) three starts get the SAME number of optimizer steps:

* scratch             random weights, every layer trains;
* feature extraction  the MNIST encoder frozen (``--strategy feature-extraction``), the decoder
                      starts from the MNIST decoder and trains;
* fine-tune           every layer starts from MNIST and trains; discriminative rates
                      (``--block-lr-decay 0.5``: each encoder/decoder block half the rate of the next).

Scored by test MSE on 2,000 Fashion-MNIST test images; learning curves (test MSE every
``--eval-every`` steps) are drawn side by side, one panel per target size. The aim of the
issue: at 500 images transfer at least 30% better than scratch.

Part B. A pretrained ImageNet backbone as the encoder (``--encoder pretrained:lite0``,
backbone frozen: only the new code layer and the decoder train) against a scratch encoder
on a small target set (500 Fashion-MNIST images), equal steps.

Part C. A DCGAN pretrained on MNIST, then trained on 500 Fashion-MNIST images from scratch,
with the first two discriminator blocks frozen (FreezeD) or fine-tuned, equal steps; KID of
generated images against 1,000 Fashion-MNIST test images (EfficientNet-Lite0 features at
64x64), with two references: held-out real Fashion-MNIST (about 0) and real MNIST digits.

The conditions use genlab.transfer directly (copy_weights, freeze, install_update_rules),
which is what ``genlab finetune`` runs, but with a plain ``fit`` over a fixed number of
steps so that tiny sets do not pay the run directory's per-epoch bookkeeping.

    python benchmarks/transfer.py --parts a --steps 200 --source-epochs 2 --eval-every 40 --test-images 1000
    python benchmarks/transfer.py --parts b --steps 200 --eval-every 40 --test-images 1000 --backbone lite0
    python benchmarks/transfer.py --parts c --gan-source-steps 400 --gan-steps 150 --kid-samples 300

Writes benchmarks/results/transfer/{table.md, curves.png, backbone_NAME_SIZE.md, dcgan_kid.md}.
"""

from __future__ import annotations

import argparse
import time

from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
import keras
import numpy as np
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.models.autoencoder import Autoencoder, AutoencoderConfig
from genlab.metrics.distribution import kid
from genlab.metrics.features import get_extractor
import genlab.models.families  # noqa: F401  (every family, models loaded)
from genlab.core.registry import get_family
from genlab.transfer import copy_weights, freeze, install_update_rules

STRATEGIES = ("scratch", "feature extraction", "fine-tune")


class TestCurve(keras.callbacks.Callback):
    """Test MSE every ``every`` steps (and at step 0)."""

    def __init__(self, images, every):
        super().__init__()
        self.images, self.every, self.points = images, every, []

    def measure(self, step):
        reconstruction = self.model.reconstruct(self.images)
        self.points.append((step, float(np.mean((reconstruction - self.images) ** 2))))

    def on_train_begin(self, logs=None):
        self.measure(0)

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.every == 0:
            self.measure(batch + 1)


def batches(images, batch_size, steps, seed):
    dataset = tf.data.Dataset.from_tensor_slices((images, np.zeros(len(images), np.int32)))
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).repeat()
    return dataset.batch(batch_size, drop_remainder=len(images) >= batch_size).take(steps)


def train_condition(config, source, strategy, images, test, args, encoder_spec="encoder"):
    keras.utils.set_random_seed(args.seed)
    model = Autoencoder(config)
    if source is not None and strategy != "scratch":
        copy_weights(source, model)
    model.compile_for_training(TrainConfig(learning_rate=args.learning_rate))
    model.build_optimizers()
    if strategy == "feature extraction":
        freeze(model, encoder_spec)
    elif strategy == "fine-tune":
        install_update_rules(model, block_decay=0.5)
    curve = TestCurve(test, args.eval_every)
    start = time.perf_counter()
    model.fit(batches(images, args.batch_size, args.steps, args.seed), epochs=1, verbose=0, callbacks=[curve])
    return curve.points, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="optimizer steps per target condition (the budget)")
    parser.add_argument("--source-epochs", type=int, default=2)
    parser.add_argument("--source-limit", type=int, default=20000, help="MNIST training images for the source")
    parser.add_argument("--sizes", default="100,500,2000")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--test-images", type=int, default=2000)
    parser.add_argument("--backbone", default="lite0", help="part B backbone (lite0, mobilenet; 'none' skips part B)")
    parser.add_argument("--backbone-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--parts", default="a,b,c",
                        help="a: autoencoder source -> target starts; b: pretrained backbone encoder; c: DCGAN KID")
    parser.add_argument("--gan-source-steps", type=int, default=400, help="part C: DCGAN steps on MNIST")
    parser.add_argument("--gan-steps", type=int, default=200, help="part C: DCGAN steps per target condition")
    parser.add_argument("--gan-size", type=int, default=500, help="part C: Fashion-MNIST target images")
    parser.add_argument("--kid-samples", type=int, default=500, help="part C: generated images per KID")
    args = parser.parse_args()
    out = results_dir("transfer")
    started = time.perf_counter()
    config = AutoencoderConfig(input_shape=(28, 28, 1), latent_dim=32, filters=(32, 64), loss="mse")
    fashion = load_image_data("fashion_mnist")
    test = scale_images(fashion.x_test[: args.test_images], (0, 1))
    if "a" in args.parts.split(","):
        part_a(args, config, fashion, test, out)
    if "b" in args.parts.split(",") and args.backbone != "none":
        part_b(args, fashion, test, out)
    if "c" in args.parts.split(","):
        part_c(args, fashion, out)
    say(f"\ntotal {time.perf_counter() - started:.0f} s; results in {out}")


def part_a(args, config, fashion, test, out):
    mnist = load_image_data("mnist", limit=args.source_limit, seed=args.seed)
    say(f"budget: source {args.source_epochs} epochs on {len(mnist.x_train)} MNIST images; {args.steps} steps of "
        f"batch {args.batch_size} per target condition; test MSE on {len(test)} Fashion-MNIST test images; seed {args.seed}")

    keras.utils.set_random_seed(args.seed)
    source = Autoencoder(config)
    source.compile_for_training(TrainConfig(learning_rate=args.learning_rate))
    source_images = scale_images(mnist.x_train, (0, 1))
    tic = time.perf_counter()
    source.fit(source_images, source_images, batch_size=args.batch_size, epochs=args.source_epochs, verbose=0, shuffle=True)
    mnist_test = scale_images(mnist.x_test[:2000], (0, 1))
    say(f"source: MNIST test MSE {np.mean((source.reconstruct(mnist_test) - mnist_test) ** 2):.4f}, "
        f"Fashion test MSE before any target step {np.mean((source.reconstruct(test) - test) ** 2):.4f} "
        f"({time.perf_counter() - tic:.0f} s)")

    rows, curves = [], {}
    for size in [int(s) for s in args.sizes.split(",")]:
        order = np.random.default_rng(args.seed).permutation(len(fashion.x_train))[:size]
        images = scale_images(fashion.x_train[np.sort(order)], (0, 1))
        for strategy in STRATEGIES:
            points, seconds = train_condition(config, source, strategy, images, test, args)
            curves[size, strategy] = points
            rows.append({"target images": size, "start": strategy, "test MSE": points[-1][1], "seconds": round(seconds)})
            say(markdown_table(rows[-1:], list(rows[-1])).splitlines()[-1])
        scratch = next(r["test MSE"] for r in rows if r["target images"] == size and r["start"] == "scratch")
        for row in rows:
            if row["target images"] == size:
                row["vs scratch"] = f"{100 * (1 - row['test MSE'] / scratch):+.0f}%"
    table = markdown_table(rows, ["target images", "start", "test MSE", "vs scratch", "seconds"])
    (out / "table.md").write_text(f"steps per condition: {args.steps}, batch {args.batch_size}\n\n{table}\n")
    say("\n" + table)
    plot_curves(curves, out / "curves.png")


def part_b(args, fashion, test, out):
    size = 500
    order = np.random.default_rng(args.seed).permutation(len(fashion.x_train))[:size]
    images = scale_images(fashion.x_train[np.sort(order)], (0, 1))
    say(f"budget (part B): {args.steps} steps of batch {args.batch_size} on {size} Fashion-MNIST images; "
        f"{args.backbone} at {args.backbone_size}x{args.backbone_size}, backbone frozen; test MSE on {len(test)} test images")
    rows = []
    for name, encoder in (("scratch conv encoder", "scratch"), (f"{args.backbone} (ImageNet, frozen)", f"pretrained:{args.backbone}")):
        config = AutoencoderConfig(input_shape=(28, 28, 1), latent_dim=32, filters=(32, 64), loss="mse", encoder=encoder,
                                   backbone_size=args.backbone_size)
        strategy = "scratch" if encoder == "scratch" else "feature extraction"
        points, seconds = train_condition(config, None, strategy, images, test, args)
        rows.append({"encoder": name, "target images": size, f"test MSE at step {points[1][0]}": points[1][1],
                     f"test MSE at step {points[-1][0]}": points[-1][1], "seconds": round(seconds)})
        say(markdown_table(rows[-1:], list(rows[-1])).splitlines()[-1])
    table = markdown_table(rows, list(rows[0]))
    (out / f"backbone_{args.backbone}_{args.backbone_size}.md").write_text(
        f"backbone input {args.backbone_size}x{args.backbone_size}, {args.steps} steps of batch {args.batch_size}\n\n{table}\n")
    say("\n" + table)


GAN_STARTS = ("scratch", "FreezeD (d:2 frozen)", "fine-tune")


class KidCurve(keras.callbacks.Callback):
    """KID of ``samples`` generated images against the real features, 3 times during training."""

    def __init__(self, extractor, real_features, samples, steps):
        super().__init__()
        self.extractor, self.real, self.samples = extractor, real_features, samples
        self.at = {round(steps * k / 3) for k in (1, 2, 3)}
        self.points = []

    def on_train_batch_end(self, batch, logs=None):
        if batch + 1 in self.at:
            fake = self.extractor.features(self.model.generate(self.samples, seed=1), (-1.0, 1.0))
            self.points.append((batch + 1, kid(self.real, fake, subsets=50, subset_size=min(250, self.samples))["kid"]))


def part_c(args, fashion, out):
    """DCGAN pretrained on MNIST -> Fashion-MNIST: KID (EfficientNet-Lite0 features at 64x64)."""
    family = get_family("dcgan")
    config = family.config_class(input_shape=(28, 28, 1), latent_dim=64, filters=(32, 64))
    extractor = get_extractor("lite0", resolution=64)
    real = extractor.features(fashion.x_test[:1000])
    say(f"budget (part C): DCGAN {args.gan_source_steps} steps on MNIST, {args.gan_steps} steps per start on "
        f"{args.gan_size} Fashion-MNIST images (batch {args.batch_size}); KID of {args.kid_samples} samples vs 1000 "
        f"test images, lite0 features at 64x64, 50 subsets of {min(250, args.kid_samples)}")
    mnist = load_image_data("mnist", limit=10000, seed=args.seed)
    keras.utils.set_random_seed(args.seed)
    source = family.model_class(config)
    source.compile_for_training(TrainConfig())
    source.build_optimizers()
    source.fit(batches(scale_images(mnist.x_train, (-1, 1)), args.batch_size, args.gan_source_steps, args.seed),
               epochs=1, verbose=0)
    order = np.random.default_rng(args.seed).permutation(len(fashion.x_train))[: args.gan_size]
    images = scale_images(fashion.x_train[np.sort(order)], (-1, 1))
    rows = []
    for start in GAN_STARTS:
        keras.utils.set_random_seed(args.seed)
        model = family.model_class(config)
        if start != "scratch":
            copy_weights(source, model)
        model.compile_for_training(TrainConfig())
        model.build_optimizers()
        if start.startswith("FreezeD"):
            freeze(model, "d:2")
        curve = KidCurve(extractor, real, args.kid_samples, args.gan_steps)
        tic = time.perf_counter()
        model.fit(batches(images, args.batch_size, args.gan_steps, args.seed), epochs=1, verbose=0, callbacks=[curve])
        rows.append({"start": start, **{f"KID at step {step}": value for step, value in curve.points},
                     "seconds": round(time.perf_counter() - tic)})
        say(markdown_table(rows[-1:], list(rows[-1])).splitlines()[-1])
    # calibration with the same protocol: held-out real target images (about 0) and real source images
    for name, reference in (("real Fashion-MNIST (held out)", fashion.x_test[1000 : 1000 + args.kid_samples]),
                            ("real MNIST digits", mnist.x_test[: args.kid_samples])):
        value = kid(real, extractor.features(reference), subsets=50, subset_size=min(250, args.kid_samples))["kid"]
        rows.append({"start": f"reference: {name}", f"KID at step {args.gan_steps}": value})
    table = markdown_table(rows, list(rows[0]))
    (out / "dcgan_kid.md").write_text(f"DCGAN MNIST -> {args.gan_size} Fashion-MNIST images\n\n{table}\n")
    say("\n" + table)


def plot_curves(curves, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({size for size, _ in curves})
    figure, axes = plt.subplots(1, len(sizes), figsize=(4 * len(sizes), 3.4), sharey=True)
    for axis, size in zip(np.atleast_1d(axes), sizes):
        for strategy in STRATEGIES:
            steps, mse = zip(*curves[size, strategy])
            axis.plot(steps, mse, label=strategy)
        axis.set(title=f"{size} Fashion-MNIST images", xlabel="optimizer step", yscale="log")
    np.atleast_1d(axes)[0].set_ylabel("test MSE")
    np.atleast_1d(axes)[0].legend()
    figure.suptitle("MNIST -> Fashion-MNIST autoencoder: learning curves at equal steps")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
