"""GPU reference figures from the PyTorch twins of genlab's networks (benchmarks/reference/torch_models.py).

``benchmarks/gpu.sh`` runs this where genlab itself cannot run on the GPU (a machine whose
Python has PyTorch with CUDA but no TensorFlow): the same DCGAN (3x32x32, batch 128) and
small StyleGAN2 (3x64x64, batch 32) training steps, float32 against bfloat16 autocast, so
that the GPU's speed-up over this CPU and the gain of 16-bit compute are on record beside
genlab's CPU figures. These are PyTorch figures, not genlab's.

    python benchmarks/gpu_torch.py --seconds 20 --json OUT
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import torch_models  # noqa: E402

CASES = {
    "dcgan": (torch_models.dcgan_trainer, {"batch_size": 128}, "3x32x32 (CIFAR-10 shaped)"),
    "stylegan": (torch_models.stylegan_trainer, {"batch_size": 32, "resolution": 64}, "3x64x64, small config"),
}


def measure(name: str, precision: str, seconds: float, device: str) -> dict:
    trainer, options, shape = CASES[name]
    torch.manual_seed(0)
    step, per_step, multiple, _ = trainer(**options)  # built on the default device (see main)
    autocast = (torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
                if precision == "bfloat16" else contextlib.nullcontext())

    def run(count: int) -> None:
        for _ in range(count):
            with autocast:
                step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    run(3 * multiple)  # warm-up: kernels chosen, memory pools filled
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run(10 * multiple)
        steps += 10 * multiple
    elapsed = time.perf_counter() - start
    rate = per_step * steps / elapsed
    row = {"model": name, "shape": shape, "batch": options["batch_size"], "precision": precision,
           "images_per_second": round(rate, 1), "ms_per_step": round(1000 * elapsed / steps, 3), "steps": steps}
    if name == "dcgan":
        row["cifar10_epoch_seconds"] = round(50_000 / rate, 2)  # 50,000 training images
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    name = torch.cuda.get_device_name(0) if args.device.startswith("cuda") else "CPU"
    torch.set_default_device(args.device)  # parameters, torch.randn(...) inside the steps
    to_cpu_images = torch_models.random_images
    torch_models.random_images = lambda *a, **k: to_cpu_images(*a, **k).to(args.device)  # from numpy: move
    print(f"PyTorch {torch.__version__} on {name}", flush=True)
    rows = []
    for model in CASES:
        for precision in ("float32", "bfloat16"):
            row = measure(model, precision, args.seconds, args.device)
            row["device"] = name
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| model | input | batch | precision | images/s | ms/step | CIFAR-10 epoch (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['model']} | {row['shape']} | {row['batch']} | {row['precision']} | {row['images_per_second']:,.0f} "
              f"| {row['ms_per_step']} | {row.get('cifar10_epoch_seconds', '')} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
