"""Head initialisation of a pretrained timm EfficientNet (nbs/43_auto, the plain lite0 row):
timm's classifier init (efficientnet 'goog': U(+-1/sqrt(fan_out)), +-0.32 for 10 classes) vs PyTorch's Linear default (fan_in) vs zeros, kit train.

    python benchmarks/head_init.py      # writes benchmarks/results/head_init.csv (about 5 minutes on 2 cores)"""
import sys, time, dataclasses
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent))
from pathlib import Path
import numpy as np, pandas as pd, torch
import image_classification.models as M
from image_classification.data import read_table, split_table
from image_classification.datasets import make_icons
from image_classification.train import TrainConfig, train
from image_classification.predict import predict_probs, read_test_table
from defaults import digits_data
orig = M._timm_model
def patched(mode):
    def f(*a, **k):
        m = orig(*a, **k)
        c = m.get_classifier()
        if mode == 'torch': c.reset_parameters()
        elif mode == 'zeros': torch.nn.init.zeros_(c.weight); torch.nn.init.zeros_(c.bias)
        return m
    return f
import tempfile
work = Path(tempfile.mkdtemp())
root = make_icons(work/'icons', n_per_class=120, test_per_class=20, seed=42)
icons = split_table(read_table(root), 'stratified', 0.2, seed=42)
icons_test = read_table(Path(f'{root}_test')/'labels.csv')
tr, te = digits_data(work)
digits = split_table(read_table(tr), 'stratified', 0.2, seed=42); digits_test = read_test_table(te)
demo = TrainConfig(arch='tf_efficientnet_lite0', pretrained=True, bn_eval=True, channels=3, sizes=[32, 64], epochs=[3, 1],
                   freeze_epochs=1, bs=32, lr_find_iters=60, aug='none', num_workers=0)
dig = TrainConfig(arch='tf_efficientnet_lite0', pretrained=True, bn_eval=True, channels=3, sizes=[64], epochs=[5],
                  freeze_epochs=1, bs=64, aug='none', num_workers=0)
rows = []
for data, cfg, table, test in (('icons (demo lite0 recipe)', demo, icons, icons_test), ('digits (lite0, 64 px, 5 epochs)', dig, digits, digits_test)):
    for mode in ('timm', 'torch', 'zeros'):
        M._timm_model = patched(mode)
        t0 = time.time()
        run = train(dataclasses.replace(cfg), table, out=work/f'runs_{data[:5]}_{mode}', quiet=True)
        p = predict_probs(run.folder, test, progress=False, num_workers=0)
        acc = float((np.array(run.meta['classes'])[p.argmax(1)] == test['label'].to_numpy()).mean())
        rows.append(dict(data=data, head_init=mode, valid=run.meta['metrics']['accuracy'], test=acc, lrs=run.meta['lrs'], seconds=round(time.time() - t0)))
        print(rows[-1], flush=True)
print(pd.DataFrame(rows).to_string())
pd.DataFrame(rows).to_csv(Path(__file__).resolve().parent/'results'/'head_init.csv', index=False)
