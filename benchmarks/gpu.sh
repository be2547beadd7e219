#!/usr/bin/env bash
# GPU figures for benchmarks/RESULTS.md: DCGAN on CIFAR-10-shaped images (images/s and the
# time of one 50,000-image epoch) and StyleGAN at 64x64 (images/s), float32 against mixed
# precision (mixed_float16 and mixed_bfloat16), with genlab's own training steps.
#
#   bash benchmarks/gpu.sh [SECONDS_PER_MEASUREMENT] [OUT_DIR]
#
# Needs genlab installed with a CUDA build of TensorFlow (pip install -e ".[gpu]", then
# pip uninstall tensorflow-cpu). Where the Python has no TensorFlow but PyTorch with CUDA
# (as on some lent accelerator machines), it says so and records the PyTorch twins of the
# same networks instead (benchmarks/gpu_torch.py): reference figures, not genlab's.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-20}"
OUT="${2:-benchmarks/results/gpu}"
mkdir -p "$OUT"
PYTHON="${PYTHON:-python3}"

echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | sed 's/^/gpu: /'
else
  echo "gpu: none found (nvidia-smi missing); figures below are for the CPU"
fi

if "$PYTHON" -c "import tensorflow as tf, genlab; raise SystemExit(0 if tf.config.list_physical_devices('GPU') else 1)" 2>/dev/null; then
  echo "genlab on TensorFlow $("$PYTHON" -c 'import tensorflow as tf; print(tf.__version__)' 2>/dev/null) with a GPU"
  for precision in float32 mixed_float16 mixed_bfloat16; do
    "$PYTHON" -m genlab.cli.main bench --families dcgan --batch-size 128 --seconds "$SECONDS_EACH" \
      --precision "$precision" --json "$OUT/dcgan_${precision}.json"
    "$PYTHON" -m genlab.cli.main bench --families stylegan --input-shape 64,64,3 --batch-size 32 \
      --seconds "$SECONDS_EACH" --precision "$precision" --json "$OUT/stylegan64_${precision}.json"
  done
  echo "CIFAR-10 epoch time = 50,000 / DCGAN images/s (the input pipeline keeps uint8 images in memory)."
else
  echo "TensorFlow with a GPU is not available to $PYTHON: genlab's own GPU figures cannot be taken here."
  if "$PYTHON" -c "import torch; raise SystemExit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "Recording the PyTorch twins of the same networks instead (reference figures, not genlab's):"
    "$PYTHON" benchmarks/gpu_torch.py --seconds "$SECONDS_EACH" --json "$OUT/torch_reference.json"
  else
    echo "No CUDA PyTorch either; nothing measured."
    exit 1
  fi
fi
