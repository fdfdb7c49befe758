"""A fastai transfer-learning kit for image classification: data checks, progressive resizing, honest ensembles, reports.

Modules:

- `image_classification.models`: The architecture registry: one name -> builder + metadata table, body/head split by name, pretrained weights found online, in caches or in a folder you name, never a silent random init."""

__version__ = "0.0.1"

import warnings as _warnings
# fastai.layers calls torch.jit.script at import, which torch 2.14 deprecates: a note for fastai, not for our users
_warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
