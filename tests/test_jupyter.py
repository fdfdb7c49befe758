"""The kit as a Jupyter user meets it: a small notebook executed under a real kernel (nbclient + ipykernel), in a
fresh kernel with no backend forced (MPLBACKEND removed, as in a user's Jupyter or Colab), then again after
`%matplotlib inline`. Every plotting call must display exactly one PNG (not the text `<Figure size ...>`, not twice),
and `train` with lr_find must leave the kernel's matplotlib backend as it found it."""
import json

import nbformat
from nbclient import NotebookClient

SETUP = '''import numpy as np, tempfile
from pathlib import Path
from image_classification.datasets import make_tiny
from image_classification.data import abs_paths, read_table, split_table
from image_classification.augment import show_augmentations
from image_classification.interpret import (class_accuracy, confusion, plot_class_accuracy, plot_confusion, plot_reliability,
                                            plot_top_losses, reliability, top_losses)
from image_classification.train import plot_lr_find'''

DATA = '''tmp = Path(tempfile.mkdtemp())
table = split_table(read_table(make_tiny(tmp/'tiny', n_per_class=6)), 'stratified', valid_pct=0.5, seed=0)
classes = sorted(table.label.unique())
y = np.array([classes.index(l) for l in table.label])
probs = np.random.default_rng(0).dirichlet(np.ones(len(classes)), len(table))
image = abs_paths(table)[0]'''

PLOTS = ["plot_confusion(confusion(y, probs.argmax(1), classes))",
         "plot_top_losses(top_losses(probs, y, classes, rows=table), k=4)",
         "plot_reliability(*reliability(probs, y))",
         "plot_class_accuracy(class_accuracy(y, probs.argmax(1), classes))",
         "plot_lr_find(np.logspace(-5, -1, 20), np.linspace(2, 1, 20), 1e-3)",
         "show_augmentations(image, 'light', size=32, n=3)"]

TRAIN = '''from image_classification.config import TrainConfig
from image_classification.train import train'''

RUN = '''run = train(TrainConfig(arch='simple_cnn', pretrained=False, channels=3, sizes=[32], epochs=[1], bs=4, lr='find',
                        lr_find_iters=8, aug='none', num_workers=0), table, out=tmp/'runs', quiet=True)
assert (run.folder/'lr_find_stage1.png').stat().st_size > 0'''

BACKEND = '''import matplotlib
print(json.dumps(matplotlib.get_backend()))'''


def _pngs(cell)->int:
    return sum('image/png' in o.get('data', {}) for o in cell.outputs)


def test_plots_show_once_and_backend_kept(tmp_path, monkeypatch):
    monkeypatch.delenv('MPLBACKEND', raising=False)  # what a user's kernel gets: ipykernel chooses the inline backend
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    src = [SETUP, DATA, *PLOTS, TRAIN, RUN, 'import json', BACKEND, '%matplotlib inline', *PLOTS, BACKEND]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in src])
    NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': str(tmp_path)}}).execute()
    cells = nb.cells
    first, second = cells[2:2 + len(PLOTS)], cells[-1 - len(PLOTS):-1]
    for code, a, b in zip(PLOTS, first, second):
        assert (_pngs(a), _pngs(b)) == (1, 1), f"{code}: {_pngs(a)} image(s) in a fresh kernel, {_pngs(b)} after %matplotlib inline"
    train_cell = cells[2 + len(PLOTS) + 1]
    assert _pngs(train_cell) == 0, "train displayed a figure"
    backend = json.loads(next(o.text for o in cells[2 + len(PLOTS) + 3].outputs if o.output_type == 'stream'))
    assert 'inline' in backend.lower(), f"after train with lr_find the kernel's backend is {backend!r}, not the inline one"
    after = json.loads(next(o.text for o in cells[-1].outputs if o.output_type == 'stream'))
    assert 'inline' in after.lower(), after


def test_the_package_leaves_pyplot_alone():
    "No module imports pyplot or sets a backend: figures are `InlineFigure` objects (core), saved with `savefig`"
    import re
    from conftest import ROOT
    bad = {p.name for p in (ROOT/'image_classification').glob('*.py')
           if re.search(r'import matplotlib\.pyplot|from matplotlib import pyplot|matplotlib\.use\(|plt\.', p.read_text())}
    assert not bad, f"pyplot state or a backend switch in {sorted(bad)}"
