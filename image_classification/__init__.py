"""A fastai transfer-learning kit for image classification: data checks, progressive resizing, honest ensembles, reports.

Modules:

- `image_classification.all`: `from image_classification.all import *`: the public API for notebooks, the functions each `imgclf` subcommand calls.
- `image_classification.app`: `imgclf app SOURCE`: a Gradio web demo of a run, an ensemble or k-fold models (the fastai course's habit), with the same preprocessing and TTA as `imgclf predict`, launched offline on your machine.
- `image_classification.augment`: Augmentation presets (fastai, the RandAugment family, photo, sketch) as batch transforms on the device, a preview grid, and offline augmentation that keeps every copy in its original's group.
- `image_classification.auto`: `imgclf auto`: a small portfolio of complementary recipes (the chooser's and its variations) trained within one time budget and ensembled honestly.
- `image_classification.averaging`: Weight averaging (SWA, EMA) and mixing regularizers (MixUp, CutMix) as fastai callbacks.
- `image_classification.bench`: Where training time goes: a hand-written PyTorch loop, plain fastai and this kit's `train` side by side; the decoded-image cache against per-item PIL; ONNX Runtime against PyTorch eager; `imgclf bench`.
- `image_classification.cli`: `imgclf`: one command line for the whole flow. Each subcommand parses its options, calls the library and prints; the training options are generated from `TrainConfig`.
- `image_classification.config`: `TrainConfig`: the one definition of every training option (name, type, default and docment), which the command line, config files, `config.yaml` and `model.json` all use.
- `image_classification.core`: Small helpers every stage shares: user errors, atomic file writes, hashing, durations, threads and workers for this machine, the scores.
- `image_classification.data`: The table, its splits and folds, the one image loader, and pre-flight validation.
- `image_classification.datasets`: Embedded datasets that need no download: procedural 32x32 icons, scikit-learn's digits as PNG files, and a tiny colour set for tests.
- `image_classification.demo`: The whole pipeline offline on an embedded dataset: build, validate, train three architectures with progressive resizing, ensemble honestly, predict a held-back test split and write the report (`imgclf demo`).
- `image_classification.distrib`: Past one GPU: the process group of a `torchrun` / `accelerate launch` job (rank 0 decides and writes, the others follow), data-parallel batches that add up to the single-process batch, and independent jobs (folds, portfolio members) spread over devices.
- `image_classification.ensemble`: Ensembles from run folders: soft, weighted and hard voting, greedy selection, log-loss weights; scored honestly, out of fold.
- `image_classification.inference`: A run's probabilities on new images (with test-time augmentation, in PyTorch or ONNX Runtime), and a prediction source's combined probabilities.
- `image_classification.interpret`: What a run, an ensemble or a k-fold got wrong, from the probabilities they saved: confusion matrix, most-confused pairs, top losses, per-class metrics, training curves, calibration, and the accuracy lost on images of another style.
- `image_classification.kfold`: K-fold cross-validation: one run per fold, out-of-fold probabilities for every image, the CV accuracy as mean ± std; the fold models vote together wherever the folder is a prediction source.
- `image_classification.loaders`: DataLoaders of the table at any size: presizing, the decoded-image cache, weighted sampling.
- `image_classification.models`: The architecture registry: one name -> builder + metadata table, body/head split by name, pretrained weights found online, in caches or in a folder you name, never a silent random init.
- `image_classification.neighbours`: Near-copies: a run's answer blended with the votes of its nearest training images, in pixels and in the network's own features, where validation shows it pays.
- `image_classification.predict`: The submission: a test table predicted by a run, several runs, an ensemble or a k-fold folder (and a re-check), as a CSV; ONNX files for serving.
- `image_classification.progress`: Progress people can read: labelled bars on a terminal or in a notebook, one plain line per step in a log file, CI or a pipe; fastai's progress callback with labels for stages, lr_find, validation, prediction and TTA.
- `image_classification.recipe`: Good defaults: profile the data and the machine, choose every unset `TrainConfig` field by a table of small rules that say why, and fit the epochs to a time budget.
- `image_classification.report`: `imgclf report runs/EXP`: one page a newcomer can read top to bottom, as `REPORT.md` and as a self-contained `report.html` with every figure embedded.
- `image_classification.runs`: Run folders: weights as safetensors, a JSON manifest, history and validation probabilities; a results table per experiment. Nothing is ever unpickled.
- `image_classification.specialist`: A re-check classifier for the most confused pair of classes, and pseudo-labeling of confident test images; each scored on rows it never trained on.
- `image_classification.tracking`: Experiment tracking that works: TensorBoard and Weights & Biases (offline by default), one log per run across its stages, inside the run folder; a missing package caught before any image is decoded.
- `image_classification.train`: `train(cfg, table)`: lr_find, freeze epochs and progressive resizing, the best epoch kept, resumable."""

__version__ = "0.0.1"

import warnings as _warnings
# fastai.layers calls torch.jit.script at import, which torch 2.14 deprecates: a note for fastai, not for our users
_warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
