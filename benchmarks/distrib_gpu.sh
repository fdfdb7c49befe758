#!/usr/bin/env bash
# Issue 17's GPU measurements in one run, on a fresh GPU machine (about 5 minutes on one H100/H200; longer with more GPUs):
#   bash benchmarks/distrib_gpu.sh            # writes benchmarks/results/distrib_gpu_*.{csv,md} and BENCHMARKS.md's distrib-gpu section
#   bash benchmarks/distrib_gpu.sh --out $OUT --no-benchmarks-md   # on a lent machine: 6 files back in $OUT; then here
#       python benchmarks/distrib_bench.py --apply FOLDER_OF_THOSE_FILES   # writes BENCHMARKS.md's section from them
#   QUICK=1 bash benchmarks/distrib_gpu.sh    # a minute-long check of the script itself, on CPU processes (no BENCHMARKS.md)
# 1. `imgclf train` on one GPU, then data parallel on every GPU (torchrun, the same batch per process): img/s, scaling,
#    accuracy, and the checks of a distributed run. One GPU: 2 processes share it (over gloo): the code path, not a speed-up.
# 2. `imgclf kfold --devices` (one worker per GPU; 0,0 on one GPU) against the folds one by one: seconds, same probabilities.
# A bare GPU image may have torch, torchvision and timm but not fastai: carry the pure-Python wheels in .whl/ as for
# benchmarks/gpu.sh (the lent H200 image has accelerate and psutil, which data parallel needs, but not fastai); they
# are installed into /tmp/site when fastai or accelerate is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! $PY -c "import fastai, accelerate" 2>/dev/null; then
  [ -d .whl ] || { echo "fastai or accelerate is not installed and there is no .whl folder of wheels to install them from"; exit 1; }
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
$PY -c "import torch; n = torch.cuda.device_count(); print(f'torch {torch.__version__}, {n} GPU(s)', torch.cuda.get_device_name(0) if n else '(none: CPU processes only)')"
exec $PY benchmarks/distrib_bench.py ${QUICK:+--quick} "$@"
