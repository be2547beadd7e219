"""StyleGAN transfer learning: MNIST -> Fashion-MNIST with 1,000 target images.

A StyleGAN2 (28x28 data trained at 32x32) is pretrained on MNIST (the source). On 1,000
Fashion-MNIST images (the target) three starts get the SAME number of optimizer steps:

* scratch             random weights, every layer trains;
* feature extraction  the MNIST weights, with the mapping network, the 4x4 and 8x8
                      generator blocks and the first two discriminator blocks frozen
                      (``--freeze mapping,g:2,d:2``: FreezeD for the discriminator);
* fine-tune           the MNIST weights, every layer trains at ``--finetune-lr-scale`` times
                      the learning rate.

Scored by KID (Binkowski et al. 2018; genlab.metrics.distribution.kid) between EMA-generator
samples and Fashion-MNIST test images, in the features of an offline ImageNet network
(genlab.metrics.features, MobileNet v1 alpha 0.25 by default, at ``--extractor-resolution``),
every ``--eval-every`` steps and at step 0. The issue's aim: transfer reaches a KID at most
0.7x that of scratch at the same step count.

The conditions use genlab.transfer directly (copy_weights, freeze, install_update_rules),
which is what ``genlab finetune`` runs, with a plain ``fit`` over a fixed number of steps so
that the comparison pays no run-directory bookkeeping (validation, checkpoints, grids).

    python benchmarks/stylegan_transfer.py --pretrain-steps 1000 --target-steps 400

Writes benchmarks/results/stylegan_transfer/{table.md, kid_curves.png, grids.png, results.json}.
"""

from __future__ import annotations

import argparse
import json
import time

from _common import markdown_table, results_dir, say

import genlab  # noqa: F401  (pins the TensorFlow backend)
import keras
import numpy as np
import tensorflow as tf

from genlab.core.config import TrainConfig
from genlab.data import load_image_data, scale_images
from genlab.metrics.distribution import kid
from genlab.metrics.features import get_extractor
from genlab.models.stylegan import StyleGAN, StyleGANConfig
from genlab.plots.grids import save_image_grid
from genlab.transfer import copy_weights, freeze, install_update_rules

FREEZE = "mapping,g:2,d:2"


class KIDCurve(keras.callbacks.Callback):
    """KID of ``count`` EMA samples against fixed real features, at step 0 and after every epoch."""

    def __init__(self, extractor, real_features, every: int, count: int, kid_options: dict):
        super().__init__()
        self.extractor, self.real_features = extractor, real_features
        self.every, self.count, self.kid_options = every, count, kid_options
        self.points = []

    def measure(self, step: int) -> None:
        samples = self.model.generate(self.count, seed=12345)
        value = kid(self.real_features, self.extractor.features(samples, (-1.0, 1.0)), **self.kid_options)
        self.points.append((step, value["kid"], value["kid_std"]))
        say(f"    step {step:5d}  KID {value['kid']:.4f} +- {value['kid_std']:.4f}")

    def on_train_begin(self, logs=None):
        self.measure(0)

    def on_epoch_end(self, epoch, logs=None):
        self.measure((epoch + 1) * self.every)


def batches(images: np.ndarray, batch_size: int, seed: int) -> tf.data.Dataset:
    labels = np.zeros(len(images), np.int32)
    return (tf.data.Dataset.from_tensor_slices((images, labels)).shuffle(len(images), seed=seed)
            .repeat().batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE))


def build(args, seed: int) -> StyleGAN:
    return StyleGAN(StyleGANConfig(
        input_shape=(28, 28, 1), value_range=(-1.0, 1.0), latent_dim=args.latent_dim, w_dim=args.w_dim,
        mapping_layers=args.mapping_layers, channel_base=args.channel_base, channel_max=args.channel_max,
        augment=args.augment, seed=seed))


def train_steps(model, images, steps: int, every: int, args, seed: int, callbacks=()):
    model.fit(batches(images, args.batch_size, seed), steps_per_epoch=every, epochs=max(1, steps // every),
              callbacks=list(callbacks), verbose=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pretrain-steps", type=int, default=1000, help="MNIST steps (the budget's first half)")
    parser.add_argument("--pretrain-images", type=int, default=20000, help="MNIST images used for pretraining")
    parser.add_argument("--target-steps", type=int, default=400, help="Fashion-MNIST steps of each condition")
    parser.add_argument("--target-images", type=int, default=1000)
    parser.add_argument("--eval-every", type=int, default=100, help="steps between KID measurements")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--finetune-lr-scale", type=float, default=0.5)
    parser.add_argument("--augment", default="", help="DiffAugment policy for every condition, e.g. translation,cutout")
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--w-dim", type=int, default=32)
    parser.add_argument("--mapping-layers", type=int, default=4)
    parser.add_argument("--channel-base", type=int, default=512)
    parser.add_argument("--channel-max", type=int, default=32)
    parser.add_argument("--kid-samples", type=int, default=500, help="generated and real images per KID")
    parser.add_argument("--extractor", default="mobilenet")
    parser.add_argument("--extractor-resolution", type=int, default=96)
    args = parser.parse_args()
    out = results_dir("stylegan_transfer")
    started = time.perf_counter()
    keras.utils.set_random_seed(0)

    source = load_image_data("mnist", args.pretrain_images, seed=0)
    target = load_image_data("fashion_mnist", args.target_images, seed=0)
    source_images = scale_images(source.x_train, (-1.0, 1.0))
    target_images = scale_images(target.x_train, (-1.0, 1.0))
    extractor = get_extractor(args.extractor, resolution=args.extractor_resolution)
    real_features = extractor.features(target.x_test[: args.kid_samples])
    kid_options = {"subsets": 20, "subset_size": max(2, args.kid_samples // 2)}
    reference = kid(real_features, extractor.features(target.x_train[: args.kid_samples]), **kid_options)["kid"]
    train_config = TrainConfig(learning_rate=args.learning_rate, batch_size=args.batch_size)
    say(f"StyleGAN transfer benchmark: pretrain {args.pretrain_steps} MNIST steps, then {args.target_steps} steps on "
        f"{len(target_images)} Fashion-MNIST images per condition, batch {args.batch_size}, "
        f"KID every {args.eval_every} steps ({args.kid_samples} samples, {args.extractor}@{args.extractor_resolution}); "
        f"KID of 1,000 real train vs test images: {reference:.4f}")

    source_model = build(args, seed=0)
    source_model.compile_for_training(train_config)
    source_model.build_optimizers()
    tick = time.perf_counter()
    train_steps(source_model, source_images, args.pretrain_steps, args.pretrain_steps, args, seed=0)
    pretrain_seconds = time.perf_counter() - tick
    say(f"pretrained on MNIST in {pretrain_seconds:.0f} s")

    curves, finals, timings = {}, {}, {}
    for condition in ("scratch", "feature extraction", "fine-tune"):
        say(f"  {condition}")
        keras.utils.set_random_seed(1)
        model = build(args, seed=1)
        if condition != "scratch":
            copy_weights(source_model, model)
        model.compile_for_training(train_config)
        model.build_optimizers()
        if condition == "feature extraction":
            freeze(model, FREEZE)
        install_update_rules(model, lr_scale=args.finetune_lr_scale if condition == "fine-tune" else 1.0)
        curve = KIDCurve(extractor, real_features, args.eval_every, args.kid_samples, kid_options)
        tick = time.perf_counter()
        train_steps(model, target_images, args.target_steps, args.eval_every, args, seed=1, callbacks=[curve])
        timings[condition] = time.perf_counter() - tick
        curves[condition] = curve.points
        finals[condition] = model.generate(16, seed=7)

    scratch_final = curves["scratch"][-1][1]
    rows = []
    for condition, points in curves.items():
        step, value, spread = points[-1]
        best = min(p[1] for p in points)
        rows.append({"condition": condition, "steps": step, "KID at step 0": points[0][1], "final KID": value,
                     "final KID std": spread, "best KID": best, "final / scratch": value / scratch_final,
                     "seconds": round(timings[condition])})
    table = markdown_table(rows, ["condition", "steps", "KID at step 0", "final KID", "final KID std", "best KID",
                                  "final / scratch", "seconds"])
    total = time.perf_counter() - started
    budget = (f"Budget: {args.pretrain_steps} pretraining steps on {len(source_images)} MNIST images, "
              f"{args.target_steps} steps per condition on {len(target_images)} Fashion-MNIST images, batch "
              f"{args.batch_size}, channel_base {args.channel_base}, channel_max {args.channel_max}, "
              f"{total / 60:.1f} minutes on this shared 2-core CPU. KID: {args.kid_samples} EMA samples vs "
              f"{args.kid_samples} test images, {kid_options['subsets']} subsets of {kid_options['subset_size']}, "
              f"{args.extractor} features at {args.extractor_resolution}px; real-vs-real KID {reference:.4f}. "
              f"Aim: transfer final KID <= 0.7 x scratch.")
    say("\n" + table + "\n\n" + budget)
    (out / "table.md").write_text(table + "\n\n" + budget + "\n")
    (out / "results.json").write_text(json.dumps({
        "curves": {k: [list(p) for p in v] for k, v in curves.items()}, "rows": rows, "reference_kid": reference,
        "settings": vars(args), "extractor": extractor.protocol(), "pretrain_seconds": pretrain_seconds,
        "total_seconds": total}, indent=2))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for condition, points in curves.items():
        steps, values, spreads = (np.array(column) for column in zip(*points))
        axis.errorbar(steps, values, yerr=spreads, marker="o", capsize=3, label=condition)
    axis.axhline(reference, color="gray", linestyle=":", label="real vs real")
    axis.set(xlabel="optimizer steps on 1,000 Fashion-MNIST images", ylabel="KID (lower is better)",
             title="StyleGAN: MNIST -> Fashion-MNIST")
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "kid_curves.png", dpi=120)
    grids = [target_images[:16]] + [finals[c] for c in curves]
    save_image_grid(out / "grids.png", grids, (-1.0, 1.0), titles=["real", *curves])
    say(f"wrote {out}/table.md, kid_curves.png, grids.png, results.json")


if __name__ == "__main__":
    main()
