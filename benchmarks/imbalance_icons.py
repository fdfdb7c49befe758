"""Imbalanced data (issue 9): does the chooser's class weighting help? Icons with every other class cut to 12 of its
120 images (10x imbalance), stratified 80/20, the chooser's recipe with `class_weights` 'none', 'balanced' (loss weights) and 'sample' (weighted sampling), four seeds,
scored on the balanced held-back test split (20 per class).

    python benchmarks/imbalance_icons.py     # writes benchmarks/results/imbalance_icons.csv"""
import json
from pathlib import Path
import numpy as np, pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from image_classification.all import *

def main(work='/tmp/imgclf_imbalance'):
    root = make_icons(f'{work}/icons', n_per_class=120, test_per_class=20, seed=1)
    t = read_table(root)
    classes = classes_of(t)
    rare = classes[::2]
    keep = np.concatenate([np.flatnonzero((t.label == c).to_numpy())[:12 if c in rare else None] for c in classes])
    ti = t.iloc[np.sort(keep)].reset_index(drop=True); ti.attrs = dict(t.attrs)
    table = split_table(ti, 'stratified', valid_pct=0.2, seed=0)
    test = read_table(f'{root}_test/labels.csv')
    rows = []
    for seed in (0, 1, 2, 3):
        for cw in ('none', 'balanced', 'sample'):
            run = train(TrainConfig(class_weights=cw, seed=seed, num_workers=0), table, out=f'{work}/runs_{cw}', quiet=True)
            p = predict_probs(run.folder, test.drop(columns='label'), progress=False, num_workers=0)
            pred = np.array(run.meta['classes'])[p.argmax(1)]
            rows.append(dict(seed=seed, class_weights=cw, valid_balanced_accuracy=run.meta['metrics']['balanced_accuracy'],
                             test_accuracy=accuracy_score(test.label, pred), test_balanced_accuracy=balanced_accuracy_score(test.label, pred),
                             seconds=run.meta['seconds']))
            print(json.dumps(rows[-1]), flush=True)
    df = pd.DataFrame(rows)
    out = Path(__file__).resolve().parent/'results'/'imbalance_icons.csv'
    df.to_csv(out, index=False)
    print(df.groupby('class_weights')[['valid_balanced_accuracy', 'test_balanced_accuracy']].mean())

if __name__ == '__main__': main()
