"""Issue #6, done-when: one recipe on the embedded icons, each training trick in turn, scored by 5-fold
out-of-fold accuracy (the same folds and seed for every row), plus two tricks built on the baseline's fold runs:
the re-check classifier for the most confused pair, and pseudo-labeling of a pool of unlabelled icons.
The default recipe writes benchmarks/results/tricks_icons.{csv,md}; any other (--epochs, --n-per-class, --k, --only,
--quick: a tiny smoke run) writes them into --out. Finished fold runs are reused when it is run again with the same --out.

    python benchmarks/tricks_icons.py [--out runs/bench-tricks]                       # the table of the notebook
    python benchmarks/tricks_icons.py --epochs 10 --out runs/bench-tricks-10          # the short-budget table
    python benchmarks/tricks_icons.py --only aug-fastai,mixup-0.4,recheck --out runs/x  # the baseline and a few rows
    python benchmarks/tricks_icons.py --only scheduler-cosine,scheduler-flat_cos,scheduler-step,focal-loss-2,head-dropout-0.25 --out runs/bench-knobs
    python benchmarks/tricks_icons.py --only lite0-freeze-to-2,lite0-gradual-unfreezing,lite0-linear-probe,lite0-linear-probe-lr-1e-2,lite0-drop-path-0.1 --out runs/bench-freeze
"""
import argparse, dataclasses, shutil, time, warnings
from pathlib import Path
import numpy as np, pandas as pd
from sklearn.metrics import f1_score
from image_classification.all import *
from image_classification.specialist import pseudo_label, recheck

# (row name, the options that differ from the baseline)
TRICKS = [('baseline', {})] + [(f'aug: {a}', dict(aug=a)) for a in
          ('light', 'shift', 'fastai', 'randaugment', 'autoaugment', 'trivialaugment', 'photo', 'sketch')] + [
          ('mixup 0.4', dict(mixup=0.4)), ('cutmix 1.0', dict(cutmix=1.0)),
          ('label smoothing 0.1', dict(label_smoothing=0.1)), ('swa 0.75', dict(swa=0.75))] + [
          # issue #18: schedules, loss and head dropout on the same recipe
          ('scheduler: cosine', dict(scheduler='cosine')), ('scheduler: flat_cos', dict(scheduler='flat_cos')),
          ('scheduler: step', dict(scheduler='step')), ('focal loss 2', dict(loss='focal', focal_gamma=2.0)),
          ('head dropout 0.25', dict(head_dropout=0.25))]
# freezing and stochastic depth need pretrained weights and a model with stages: tf_efficientnet_lite0 (its weights
# ship with a package) at 32 px, one freeze epoch; these rows are compared with the 'lite0 pretrained' row
LITE0 = dict(arch='tf_efficientnet_lite0', pretrained=True, freeze_epochs=1, lr=1e-3)
PRETRAINED = [('lite0 pretrained', {}), ('lite0: freeze-to 2', dict(freeze_to=2)), ('lite0: gradual unfreezing', dict(unfreeze='gradual')),
              ('lite0: linear probe', dict(unfreeze='never')), ('lite0: linear probe lr 1e-2', dict(unfreeze='never', lr=1e-2)),
              ('lite0: drop-path 0.1', dict(drop_path=0.1))]

def _slug(name:str)->str: return name.replace(': ', '-').replace(' ', '-')

def _setting(d:dict)->str: return ', '.join(f'{k}={v}' for k, v in d.items()) or 'aug=none'

def _fold_acc(pred, y, folds, k): return np.array([(pred[folds == f] == y[folds == f]).mean() for f in range(k)])

def _row(name, setting, pred, y, folds, k, base_folds, seconds, note=''):
    acc = _fold_acc(pred, y, folds, k)
    better = '' if base_folds is None else f'{int((acc > base_folds + 1e-9).sum())}/{k} up, {int((acc < base_folds - 1e-9).sum())}/{k} down'
    return dict(trick=name, setting=setting, oof_accuracy=float((pred == y).mean()), macro_f1=float(f1_score(y, pred, average='macro')),
                folds=f'{acc.mean():.4f} ± {acc.std():.4f}', vs_baseline_per_fold=better, seconds=round(seconds), note=note)

def _recheck_row(a, out, base_res, base_y, base_folds, epoch_mult=1):
    "The baseline's out-of-fold predictions re-checked by a specialist for its most confused pair, one per fold"
    folder = out/('recheck' if epoch_mult == 1 else f'recheck-x{epoch_mult}')
    shutil.rmtree(folder, ignore_errors=True)
    cfg = TrainConfig.from_dict(read_meta(base_res.runs[0])['config'])
    cfg.epochs = [e*epoch_mult for e in cfg.epochs]  # x5: as many steps as the main model (a fifth of its rows)
    rc = recheck(base_res.folder, pairs=1, out=folder, cfg=cfg, quiet=True, progress=False)
    pair = rc.pairs[0]
    secs = sum(read_meta(folder/r)['seconds'] for r in pair['runs'])
    note = (f"pair {pair['classes'][0]}/{pair['classes'][1]} ({pair['confusions']} confusions); {rc.changed} predictions changed: "
            f"{rc.fixed} fixed, {rc.broken} broken; pair chosen the same from every fold's other folds: {pair['pair_stable']}")
    name, setting = ('re-check (top pair)', 'baseline + specialist') if epoch_mult == 1 else \
        (f're-check, specialist x{epoch_mult} epochs', f'specialist epochs={cfg.epochs}')
    row = _row(name, setting, rc.after.argmax(1), base_y, base_res.table['fold'].to_numpy(),
               a.k, base_folds, secs, note)
    print(row, flush=True)
    return row

def _pseudo_row(a, out, cfg, base_res, y, base_folds):
    "Fold i's baseline run labels the pool; the confident icons join fold i's training rows; retrain; out-of-fold again"
    pool = read_table(make_icons(out/'data'/'pool', n_per_class=a.pool_per_class, seed=1))  # labels only grade the pseudo labels
    shutil.rmtree(out/'pseudo', ignore_errors=True)
    folds, oof = base_res.table['fold'].to_numpy(), np.zeros_like(base_res.oof_probs)
    added, right, secs, reused = [], [], 0.0, 0
    for i, run in enumerate(base_res.runs):
        pl = pseudo_label(cfg, load_table(run.parent), pool, run, threshold=a.threshold, out=out/'pseudo'/f'fold{i}', progress=False)
        oof[folds == i] = load_probs(pl.after['run'], 'valid_probs')
        added.append(pl.n_added); right.append(pl.pseudo_accuracy); secs += pl.after['seconds']
        reused += pl.before['run'] == str(run)
    note = (f"{a.threshold:g} threshold: {np.mean(added):.0f} of {len(pool)} pool icons added per fold "
            f"({np.average(right, weights=added):.1%} of the pseudo labels right); baseline fold runs reused: {reused}/{a.k}")
    row = _row(f'pseudo-labels ({a.threshold:g})', f'baseline + {len(pool)} unlabelled icons', oof.argmax(1), y, folds, a.k, base_folds, secs, note)
    print(row, flush=True)
    return row

def main():
    warnings.filterwarnings('ignore')
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='runs/bench-tricks'); p.add_argument('--n-per-class', type=int, default=80)
    p.add_argument('--epochs', type=int, default=30); p.add_argument('--k', type=int, default=5)
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--pool-per-class', type=int, default=40, help="unlabelled icons per class offered to pseudo-labeling (drawn with seed 1)")
    p.add_argument('--threshold', type=float, default=0.95, help="pseudo-labeling threshold")
    p.add_argument('--quick', action='store_true', help="smoke test: 12 images per class, 1 epoch, 3 folds; results go to --out")
    p.add_argument('--only', default=None, help="comma-separated rows besides the baseline (e.g. aug-fastai,mixup-0.4,recheck,pseudo,scheduler-cosine,lite0-linear-probe); results go to --out")
    a = p.parse_args()
    default = (a.n_per_class, a.epochs, a.k, a.only, a.quick) == (80, 30, 5, None, False)
    if a.quick: a.n_per_class, a.epochs, a.k, a.pool_per_class, a.threshold = 12, 1, 3, 4, 0.2
    out = Path(a.out)
    table = read_table(make_icons(out/'data'/'icons', n_per_class=a.n_per_class, seed=0))
    base = TrainConfig(arch='simple_cnn', pretrained=False, channels=1, sizes=[32], epochs=[a.epochs], bs=32,
                       lr=1e-2, aug='none', seed=a.seed)
    rows, t0, base_folds = [], time.time(), None
    only = None if a.only is None else {'baseline', *a.only.split(',')}
    if only is not None and any(o.startswith('lite0-') for o in only): only.add('lite0-pretrained')
    lite0_folds = None
    for name, opts in TRICKS + [(n, {**LITE0, **o}) for n, o in PRETRAINED]:
        if only is not None and _slug(name) not in only: continue
        cfg = dataclasses.replace(base, **opts)
        t = time.time()
        res = kfold(cfg, table, k=a.k, out=out/'kfold'/_slug(name), seed=a.seed, quiet=True)
        y = np.array([res.classes.index(l) for l in res.table['label']])
        folds = res.table['fold'].to_numpy()
        secs = sum(read_meta(r)['seconds'] for r in res.runs)  # training time of the 5 runs (a resumed row is not re-timed)
        ref = lite0_folds if name.startswith('lite0:') else base_folds
        rows.append(_row(name, _setting({k: v for k, v in opts.items() if name == 'lite0 pretrained' or LITE0.get(k, object()) != v}),
                         res.oof_probs.argmax(1), y, folds, a.k, ref, secs, 'vs lite0 pretrained' if name.startswith('lite0:') else ''))
        if name == 'baseline': base_folds, base_res, base_y = _fold_acc(res.oof_probs.argmax(1), y, folds, a.k), res, y
        if name == 'lite0 pretrained': lite0_folds = _fold_acc(res.oof_probs.argmax(1), y, folds, a.k)
        print(rows[-1], f'({time.time() - t:.0f} s wall)', flush=True)
    if only is None or 'recheck' in only:
        rows += [_recheck_row(a, out, base_res, base_y, base_folds, m) for m in (1, 5)]
    if only is None or 'pseudo' in only: rows.append(_pseudo_row(a, out, base, base_res, base_y, base_folds))
    df = pd.DataFrame(rows)
    df.insert(3, 'change', df['oof_accuracy'] - df['oof_accuracy'].iloc[0])
    res_dir = Path(__file__).parent/'results' if default else out
    res_dir.mkdir(parents=True, exist_ok=True)
    df.to_csv(res_dir/'tricks_icons.csv', index=False)
    fmt = lambda c, v: f'{v:+.4f}' if c == 'change' else f'{v:.4f}' if isinstance(v, float) else str(v)
    md = ['| ' + ' | '.join(df.columns) + ' |', '|' + '---|'*len(df.columns)]
    md += ['| ' + ' | '.join(fmt(c, v) for c, v in zip(df.columns, r)) + ' |' for r in df.itertuples(index=False)]
    (res_dir/'tricks_icons.md').write_text('\n'.join(md) + '\n')
    print(df.to_string(index=False)); print(f'total {time.time() - t0:.0f} s')

if __name__ == '__main__': main()
