"""Score a submission against the test labels: accuracy and balanced accuracy of the submission's `label` column.

    python benchmarks/realdata/score.py SUB.csv TEST.csv

Rows are matched by `path` when both files have it (the submission's paths may be absolute or relative), else by
order."""
import sys
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score, balanced_accuracy_score

def _key(p:str, k:int)->str:
    return '/'.join(Path(str(p)).parts[-k:])

def score(sub_csv, test_csv)->dict:
    sub, test = pd.read_csv(sub_csv, dtype=str), pd.read_csv(test_csv, dtype=str)
    if len(sub) != len(test): raise SystemExit(f"{sub_csv}: {len(sub)} rows, {test_csv}: {len(test)}")
    pcol = next((c for c in ('path', 'image_path', 'file', 'filename') if c in sub.columns), None)
    if pcol and 'path' in test.columns:
        k = max(len(Path(p).parts) for p in test['path'])  # match on the test paths' last k parts
        pred = dict(zip(sub[pcol].map(lambda p: _key(p, k)), sub['label']))
        y_pred = test['path'].map(lambda p: _key(p, k)).map(pred)
        if y_pred.isna().any(): y_pred = sub['label'].to_numpy()  # paths did not match: fall back to order
    else: y_pred = sub['label'].to_numpy()
    return dict(accuracy=accuracy_score(test['label'], y_pred), balanced_accuracy=balanced_accuracy_score(test['label'], y_pred),
                n=len(test))

if __name__ == '__main__':
    if len(sys.argv) != 3: raise SystemExit(__doc__)
    r = score(sys.argv[1], sys.argv[2])
    print(f"accuracy {r['accuracy']:.4f}  balanced accuracy {r['balanced_accuracy']:.4f}  ({r['n']} test rows)")
