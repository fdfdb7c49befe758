"""Which test-time augmentation views help (issue 6 follow-up; nbs/80_predict's table).

The no-options recipe on sklearn's digits (trained without augmentation) and on the embedded icons (15 epochs,
`shift`), each scored on its held-out test images without TTA and with each view set at beta 0.25 and 0.5.

    python benchmarks/tta_views.py [digits] [icons]

Writes benchmarks/results/tta_views_<data>.csv."""
import sys, time, json
from pathlib import Path
import numpy as np, pandas as pd, torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from defaults import digits_data, icons_data
from image_classification.data import read_table, split_table
from image_classification.train import TrainConfig, train
from image_classification.augment import aug_preset
from image_classification.predict import predict_probs, read_test_table
torch.set_num_threads(1)
import tempfile
work = Path(tempfile.mkdtemp()); work.mkdir(parents=True, exist_ok=True)
rows = []
which = sys.argv[1:] or ['digits', 'icons']
for data in which:
    tr_csv, te_csv = (digits_data if data == 'digits' else icons_data)(work)
    table = split_table(read_table(tr_csv), 'stratified', 0.2, seed=42)
    kw = dict(epochs=[15]) if data == 'icons' else {}
    t0 = time.time()
    run = train(TrainConfig(num_workers=0, **kw), table, out=work/f'runs_{data}', quiet=True)
    print(data, 'trained', run.meta['config']['aug'], run.meta['metrics']['accuracy'], f'{time.time()-t0:.0f}s', flush=True)
    test = read_test_table(te_csv)
    y = test['label'].to_numpy(); cls = run.meta['classes']
    acc = lambda p: float((np.array(cls)[p.argmax(1)] == y).mean())
    rows.append(dict(data=data, run_aug=run.meta['config']['aug'], views='none (no TTA)', accuracy=acc(predict_probs(run.folder, test, progress=False, num_workers=0))))
    for v in ['default', 'flip', 'shift', 'light']:
        for beta in [0.25, 0.5]:
            try:
                p = predict_probs(run.folder, test, tta=True, tta_aug=v if v in ('default','flip') else aug_preset(v), tta_beta=beta, progress=False, num_workers=0)
            except Exception as e:
                print('fail', v, e); continue
            rows.append(dict(data=data, run_aug=run.meta['config']['aug'], views=f'{v} beta={beta}', accuracy=acc(p)))
            print(rows[-1], flush=True)
df = pd.DataFrame(rows); print(df.to_string())
df.to_csv(Path(__file__).resolve().parent/'results'/f'tta_views_{"_".join(which)}.csv', index=False)
