#!/usr/bin/env bash
# A prepared check for a machine with an NVIDIA GPU (README: "GPU workers"): sets up the GPU build of the
# native backend (tfjs-node-gpu on tensorflow[and-cuda] 2.16.2 from PyPI), confirms TensorFlow sees the
# device, trains the large model (4 layers, d 256, T 256, B 16) for 50 steps on the GPU and a few on the
# CPU, and prints tokens/s for both. Exits non-zero, saying why, at the first thing that is not right.
#   scripts/gpu-check.sh            (GPU_CHECK_STEPS=50, GPU_CHECK_CPU_STEPS=5)
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "gpu-check: FAILED: $*" >&2; exit 1; }

echo "gpu-check: 1/4 NVIDIA GPU"
command -v nvidia-smi >/dev/null || fail "no nvidia-smi: this machine shows no NVIDIA driver (the check needs a GPU)"
nvidia-smi -L || fail "nvidia-smi lists no GPU"
[ -e /proc/driver/nvidia/version ] || [ -e /dev/nvidia0 ] || fail "no /proc/driver/nvidia/version or /dev/nvidia0: the driver is not visible to this process"

echo "gpu-check: 2/4 braise setup tensorflow --gpu"
[ -d node_modules/@tensorflow/tfjs-core ] || npm ci --no-audit --no-fund
node bin/braise.js setup tensorflow --gpu || fail "the GPU backend could not be set up (see the line above)"

# TensorFlow opens its CUDA libraries by name: the nvidia-* wheels' lib folders (ml/native/layout.ts cudaEnv).
pkg=node_modules/@tensorflow/tfjs-node-gpu
cuda_dirs=$(ls -d "$pkg"/deps/nvidia/*/lib 2>/dev/null | paste -sd: -)
[ -n "$cuda_dirs" ] || fail "$pkg/deps/nvidia has no CUDA libraries"
export LD_LIBRARY_PATH="$cuda_dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export BRAISE_TF_BACKEND=tensorflow

echo "gpu-check: 3/4 TensorFlow sees the GPU; large model, ${GPU_CHECK_STEPS:-50} steps on it"
gpu=$(npx tsx scripts/gpu-check.ts --steps "${GPU_CHECK_STEPS:-50}" --expect gpu | tee /dev/stderr | sed -n 's/^RESULT gpu //p')
[ -n "$gpu" ] || fail "no GPU measurement"

echo "gpu-check: 4/4 the same model on the CPU (same build, CUDA_VISIBLE_DEVICES=-1), ${GPU_CHECK_CPU_STEPS:-5} steps"
cpu=$(CUDA_VISIBLE_DEVICES=-1 npx tsx scripts/gpu-check.ts --steps "${GPU_CHECK_CPU_STEPS:-5}" --expect cpu | tee /dev/stderr | sed -n 's/^RESULT cpu //p')
[ -n "$cpu" ] || fail "no CPU measurement"

echo "gpu-check: OK large model (4 layers, d 256, T 256, B 16): GPU ${gpu} tok/s, CPU ${cpu} tok/s ($(nproc) cores), GPU/CPU $(awk "BEGIN { printf \"%.1f\", $gpu / $cpu }")x"
