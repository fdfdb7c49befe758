"""A fastai transfer-learning kit for image classification: data checks, progressive resizing, honest ensembles, reports.

Modules:

- `image_classification.auto`: Good defaults: a recipe chosen from the data and the machine when `TrainConfig` leaves fields unset, and `imgclf auto`, a small portfolio of complementary recipes trained within a time budget and ensembled honestly.
- `image_classification.models`: The architecture registry: one name -> builder + metadata table, body/head split by name, pretrained weights found online, in caches or in a folder you name, never a silent random init."""

__version__ = "0.0.1"
