"""One model, both metrics (issue 20, item 3): post-hoc logit adjustment (`prior_tau`) against the reweighting remedies,
scored on the test splits of `benchmarks/realdata/` (which keep the natural, imbalanced class distribution).

Each run folder given is scored on DATA/test.csv at prior_tau 0 (the class frequencies the model learned), 1 (its
probabilities divided by the class prior of its training rows: Menon et al. 2021's post-hoc logit adjustment) and at the
tau in [-1, 2] (steps of 0.25) that maximises balanced accuracy on its own validation rows. The test probabilities
are computed once per run (`test_probs.npy` in the run folder, prior_tau 0) and reused.

    # the runs, one job at a time (the defaults, judged on accuracy: no reweighting; then the old rule for balanced accuracy)
    for s in 0 1 2; do imgclf train /work/data/deepsky/train.csv --seed $s --out /work/data/runs/ph_deepsky_s$s --quiet; done
    for s in 0 1 2; do imgclf train /work/data/deepsky/train.csv --seed $s --metric balanced_accuracy --class-weights sample \\
                                    --out /work/data/runs/sample_deepsky_s$s --quiet; done
    python benchmarks/prior_tau.py /work/data/deepsky /work/data/runs/ph_deepsky_s* /work/data/runs/sample_deepsky_s*
    # appends to benchmarks/results/prior_tau.csv (a rerun replaces a run's rows) and rewrites prior_tau.md"""
import argparse, json
from pathlib import Path
import numpy as np, pandas as pd
from image_classification.all import *
from image_classification.bench import _md  # a markdown table without tabulate
from image_classification.core import accuracy, balanced_accuracy, macro_f1
from image_classification.ensemble import _run_probs
from image_classification.inference import reweight_by_prior

TAUS = np.round(np.arange(-1, 2.01, 0.25), 2)
OUT = Path(__file__).resolve().parent/'results'

def _runs(folders):
    "Run folders: each given folder, or the runs inside an experiment folder"
    for f in map(Path, folders):
        if (f/'model.json').is_file(): yield f
        else: yield from sorted(p for p in f.iterdir() if (p/'model.json').is_file())

def score_run(run:Path, data:Path)->list[dict]:
    meta, test = read_meta(run), read_table(data/'test.csv')
    classes, cfg = meta['classes'], meta.get('config') or {}
    lp = log_prior(load_table(run.parent)).numpy()  # the training rows' class shares (runs saved before class_prior too)
    have = float(meta.get('prior_tau') or 0.)
    cache = run/'test_probs.npy'
    if cache.is_file(): p = np.load(cache)
    else:
        p = predict_probs(run, test.drop(columns='label'), progress=False, prior_tau=0. if have else None)
        np.save(cache, p)
    y = np.array([classes.index(l) for l in test['label']])
    src = _run_probs(run)
    pv = reweight_by_prior(src.probs, lp, -have)  # validation probabilities at prior_tau 0
    tuned = max(TAUS, key=lambda t: (round(balanced_accuracy(reweight_by_prior(pv, lp, t), src.y), 6), -abs(t)))
    base = dict(data=data.name, run=run.parent.name + '/' + run.name, arch=meta['arch'], class_weights=cfg.get('class_weights'),
                metric=cfg.get('metric', 'accuracy'), seed=cfg.get('seed'))
    rows = []
    for what, t in (('prior_tau 0', 0.), ('prior_tau 1', 1.), ('prior_tau tuned on valid', tuned)):
        q = reweight_by_prior(p, lp, t)
        rows.append(dict(base, prediction=what, tau=float(t), accuracy=accuracy(q, y), balanced_accuracy=balanced_accuracy(q, y), macro_f1=macro_f1(q, y)))
    return rows

def main():
    a = argparse.ArgumentParser(); a.add_argument('data'); a.add_argument('runs', nargs='+'); args = a.parse_args()
    data, rows = Path(args.data), []
    for run in _runs(args.runs):
        rows += score_run(run, data)
        print(json.dumps(rows[-2]), flush=True)
    new = pd.DataFrame(rows)
    old = pd.read_csv(OUT/'prior_tau.csv') if (OUT/'prior_tau.csv').is_file() else new.iloc[:0]
    df = pd.concat([old[~old.run.isin(new.run) | (old.data != data.name)], new], ignore_index=True)
    df.to_csv(OUT/'prior_tau.csv', index=False)
    cols = ['accuracy', 'balanced_accuracy', 'macro_f1', 'tau']
    g = df.groupby(['data', 'arch', 'class_weights', 'prediction'], sort=False)
    md = g[cols].mean().round(4).join(g.size().rename('runs')).reset_index()
    (OUT/'prior_tau.md').write_text("Test-split scores, mean over the runs (seeds) of each row; one row per run and prediction in prior_tau.csv.\n\n"
                                    + _md(md, '{:.4f}') + '\n')
    print(md.to_string(index=False))

if __name__ == '__main__': main()
