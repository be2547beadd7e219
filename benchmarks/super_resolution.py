"""Super-resolution x4 on Set5 and Set14: bicubic, genlab SRResNet and genlab SRGAN side by side.

    python benchmarks/super_resolution.py --budget 540

Training images (never Set5/Set14, which are evaluation only): the photographs that ship
with the installed libraries, under licences that allow it —
scikit-image ``astronaut`` (NASA, public domain), ``chelsea`` (CC0, S. van der Walt),
``coffee`` (CC0, R. Michetti), ``rocket`` (SpaceX, public domain), ``hubble_deep_field``
(NASA, public domain); scikit-learn ``china.jpg`` and ``flower.jpg`` (CC BY 2.0, see
sklearn/datasets/images/README.txt); matplotlib ``grace_hopper.jpg`` (U.S. Navy, public
domain). They are cut into 96x96 patches (stride 48); training takes random 48x48 crops.

Protocol (as in the SRGAN paper): high-resolution images cut to a multiple of 4, low
resolution made by bicubic downscaling (PIL, antialiased, as MATLAB's imresize), PSNR and
SSIM on the luma channel Y (ITU-R BT.601) with 4 pixels cropped from each border
(:func:`genlab.metrics.image_quality.image_quality` with ``protocol="y"``). The feature
distance is LPIPS-like, without learned weights: EfficientNet-Lite0 (ImageNet; not the
MobileNet of the content loss) activations after blocks 2, 4 and 7, unit-normalized over
channels, squared difference averaged over positions and layers, on 128x128 tiles of the
high-resolution images (lower = closer in texture to the original).

SRResNet is trained with pixel MSE for 65% of the budget; SRGAN starts from it and trains
with the MobileNet content loss + 1e-3 adversarial loss for the rest, as in the paper (which
trains 10^6 + 2 x 10^5 steps on 350k ImageNet images on a GPU; here about a thousand steps on
a shared CPU, with a smaller generator: 32 filters, 8 residual blocks, no batch normalization,
and the bicubic skip connection (``bicubic_skip``: the network adds detail to a bicubic
upscaling, which a budget this short needs; the paper's SRResNet has no such skip).
Published Set5 context (Ledig et al., 2017, table 2): bicubic 28.43 dB / 0.8211,
SRResNet 32.05 / 0.9019, SRGAN 29.40 / 0.8472.
"""

from __future__ import annotations

import argparse
import io
import time

from _common import markdown_table, results_dir, say  # (sets GENLAB_DATA, KERAS_BACKEND)
from _image_to_image import StepBudget

import keras
import numpy as np
from PIL import Image

from genlab.core.config import DataConfig, TrainConfig
from genlab.data.sources import find_data_file
from genlab.metrics.image_quality import image_quality
from genlab.plots.grids import save_image_grid
from genlab.core.io import write_json
from genlab.workflows.loading import load_run_model
from genlab.workflows.train import train

SCALE = 4
PUBLISHED_SET5 = {"bicubic": (28.43, 0.8211), "SRResNet": (32.05, 0.9019), "SRGAN": (29.40, 0.8472)}
MODEL = {"scale": SCALE, "filters": 32, "residual_blocks": 8, "batch_norm": False, "bicubic_skip": True,
         "discriminator_filters": 32,
         "content_network": "mobilenet", "content_layer": "conv_pw_5_relu", "adversarial_weight": 1e-3}


def training_photos() -> dict[str, np.ndarray]:
    import matplotlib.cbook
    import skimage.data
    from sklearn.datasets import load_sample_images

    photos = {name: getattr(skimage.data, name)() for name in ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field")}
    sample = load_sample_images()
    for path, image in zip(sample.filenames, sample.images):
        photos[path.rsplit("/", 1)[-1].split(".")[0]] = image
    with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
        photos["grace_hopper"] = np.asarray(image.convert("RGB"))
    return photos


def patches(photos: dict[str, np.ndarray], size: int = 96, stride: int = 48) -> np.ndarray:
    cut = [photo[top : top + size, left : left + size]
           for photo in photos.values()
           for top in range(0, photo.shape[0] - size + 1, stride)
           for left in range(0, photo.shape[1] - size + 1, stride)]
    return np.stack(cut).astype(np.uint8)


def benchmark_images() -> dict[str, np.ndarray]:
    path = find_data_file("sr_set5_set14_color_png.npz")
    if path is None:
        raise SystemExit("sr_set5_set14_color_png.npz not found: set GENLAB_DATA to the shared data folder")
    with np.load(path) as archive:
        blob, offsets, names = archive["png"].tobytes(), archive["offsets"], archive["names"]
    images = {}
    for i, name in enumerate(names):
        with Image.open(io.BytesIO(blob[offsets[i] : offsets[i + 1]])) as image:
            images[str(name)] = np.asarray(image.convert("RGB"))
    return images


def bicubic(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """PIL bicubic resize of a uint8 image to (width, height) = size."""
    return np.asarray(Image.fromarray(image).resize(size, Image.BICUBIC))


class FeatureDistance:
    """LPIPS-like distance on EfficientNet-Lite0 activations (see the module docstring)."""

    LAYERS = ("block2_add", "block4_add", "block7_add")
    TILE = 128

    def __init__(self):
        from genlab.layers.backbones import lite0_backbone

        backbone = lite0_backbone(self.TILE)
        self.network = keras.Model(backbone.input, [backbone.get_layer(name).output for name in self.LAYERS])

    def _features(self, tiles: np.ndarray) -> list[np.ndarray]:
        outputs = self.network(tiles.astype(np.float32) / 255.0, training=False)  # RGB in [0, 1]
        return [np.asarray(o) / (np.linalg.norm(np.asarray(o), axis=-1, keepdims=True) + 1e-10) for o in outputs]

    def __call__(self, reference: np.ndarray, output: np.ndarray) -> float:
        tile = self.TILE
        boxes = [(top, left) for top in range(0, reference.shape[0] - tile + 1, tile)
                 for left in range(0, reference.shape[1] - tile + 1, tile)]
        cut = lambda image: np.stack([image[t : t + tile, l : l + tile] for t, l in boxes])  # noqa: E731
        ours, theirs = self._features(cut(output)), self._features(cut(reference))
        return float(np.mean([np.mean(np.sum((a - b) ** 2, axis=-1)) for a, b in zip(ours, theirs)]))


def evaluate(upscalers: dict, images: dict[str, np.ndarray], distance: FeatureDistance) -> dict:
    rows: dict[str, dict[str, list[float]]] = {}
    examples = {}
    for name, high in images.items():
        height, width = (high.shape[0] // SCALE) * SCALE, (high.shape[1] // SCALE) * SCALE
        high = high[:height, :width]
        low = bicubic(high, (width // SCALE, height // SCALE))
        for method, upscale in upscalers.items():
            output = upscale(low)
            quality = image_quality(high[None], output[None], (0, 255), protocol="y", border=SCALE)
            row = rows.setdefault(method, {})
            row.setdefault(f"{name.split('/')[0]}_psnr", []).append(quality["psnr"])
            row.setdefault(f"{name.split('/')[0]}_ssim", []).append(quality["ssim"])
            row.setdefault(f"{name.split('/')[0]}_feature_distance", []).append(distance(high, output))
            if name.endswith("butterfly.png"):
                examples[method] = output
                examples["original"] = high
    return {method: {k: float(np.mean(v)) for k, v in row.items()} for method, row in rows.items()}, examples


def model_upscaler(run_path):
    _, config, model = load_run_model(run_path)

    def upscale(low: np.ndarray) -> np.ndarray:
        output = model.upscale(low[None].astype(np.float32) / 127.5 - 1.0)[0]
        return np.round((np.clip(output, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)

    return upscale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=540, help="training seconds in all (default 540)")
    parser.add_argument("--pretrain-share", type=float, default=0.65, help="share of the budget for SRResNet")
    args = parser.parse_args()
    out = results_dir("super_resolution")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    photos = training_photos()
    data = patches(photos)
    patch_file = out / "training_patches.npz"
    np.savez(patch_file, x=data)
    say(f"training photos: {', '.join(f'{k} {v.shape[1]}x{v.shape[0]}' for k, v in photos.items())}")
    say(f"{len(data)} patches 96x96 (90% train), random 48x48 crops; budget {args.budget:.0f} s on this CPU")
    data_config = DataConfig(source=f"npz:{patch_file}", crop_size=48)

    srresnet_budget = StepBudget(args.budget * args.pretrain_share)
    srresnet_dir = out / f"srresnet-{stamp}"
    train("srgan", srresnet_dir, model={**MODEL, "pretrain_epochs": 10**6}, data=data_config,
          train=TrainConfig(epochs=10**6, batch_size=16, learning_rate=1e-3), verbose=0, callbacks=[srresnet_budget])
    say(f"SRResNet: {srresnet_budget.steps} steps (pixel MSE, Adam 1e-3) in {time.perf_counter() - srresnet_budget.start:.0f} s")

    _, _, pretrained = load_run_model(srresnet_dir)

    def start_from_srresnet(model, run, resume):
        model.generator.set_weights(pretrained.generator.get_weights())
        return []

    srgan_budget = StepBudget(args.budget * (1.0 - args.pretrain_share))
    srgan_dir = out / f"srgan-{stamp}"
    train("srgan", srgan_dir, model={**MODEL, "pretrain_epochs": 0}, data=data_config,
          train=TrainConfig(epochs=10**6, batch_size=16, learning_rate=1e-4), verbose=0, callbacks=[srgan_budget],
          prepare_model=start_from_srresnet)
    say(f"SRGAN: {srgan_budget.steps} steps (content + 1e-3 adversarial, Adam 1e-4) from SRResNet "
        f"in {time.perf_counter() - srgan_budget.start:.0f} s")

    images = benchmark_images()
    upscalers = {
        "bicubic": lambda low: bicubic(low, (low.shape[1] * SCALE, low.shape[0] * SCALE)),
        "genlab SRResNet": model_upscaler(srresnet_dir),
        "genlab SRGAN": model_upscaler(srgan_dir),
    }
    table, examples = evaluate(upscalers, images, FeatureDistance())
    rows = [{"method": method, **values} for method, values in table.items()]
    rows += [{"method": f"published {name} (Set5)", "CSet5_psnr": psnr, "CSet5_ssim": ssim}
             for name, (psnr, ssim) in PUBLISHED_SET5.items()]
    columns = ["method", "CSet5_psnr", "CSet5_ssim", "CSet5_feature_distance", "CSet14_psnr", "CSet14_ssim",
               "CSet14_feature_distance"]
    say(f"\nx{SCALE} super-resolution, Y channel, border {SCALE} (Set5: 5 images, Set14: 13, lenna left out)")
    say(markdown_table(rows, columns))
    gain = table["genlab SRResNet"]["CSet5_psnr"] - table["bicubic"]["CSet5_psnr"]
    say(f"SRResNet - bicubic on Set5: {gain:+.2f} dB (aim: >= +1.5 dB)")
    say("feature distance: LPIPS-like on EfficientNet-Lite0 blocks 2/4/7, 128x128 tiles (lower = closer texture)")
    order = ["original", "bicubic", "genlab SRResNet", "genlab SRGAN"]
    crop = (slice(100, 228), slice(100, 228))
    save_image_grid(out / f"butterfly-{stamp}.png", [np.stack([examples[k][crop] for k in order])], (0, 255))
    write_json(out / f"results-{stamp}.json", {
        "table": table, "published_set5": PUBLISHED_SET5, "budget_seconds": args.budget,
        "steps": {"srresnet": srresnet_budget.steps, "srgan": srgan_budget.steps}, "model": MODEL,
        "training_photos": sorted(photos), "patches": int(len(data)),
    })
    say(f"results: {out / f'results-{stamp}.json'}; butterfly crops (original, bicubic, SRResNet, SRGAN): "
        f"{out / f'butterfly-{stamp}.png'}")


if __name__ == "__main__":
    main()
