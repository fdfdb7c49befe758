"""benchmarks/results/realdata_baselines.csv and .md: one row per dataset x method, kept across runs (a rerun of a
method on a dataset replaces its row)."""
import os, platform, time
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1]/'results'
CSV, MD = OUT/'realdata_baselines.csv', OUT/'realdata_baselines.md'
COLS = ['dataset', 'method', 'accuracy', 'balanced_accuracy', 'seconds', 'load_start', 'load_end', 'n_train', 'n_test', 'date', 'code']

def code_state()->str:
    "the kit's code: HEAD's short hash, plus a digest of uncommitted changes under image_classification/ (read-only git)"
    import hashlib, subprocess
    root = Path(__file__).resolve().parents[2]
    git = lambda *a: subprocess.run(['git', '-C', str(root), *a], capture_output=True, text=True).stdout
    head = git('rev-parse', '--short', 'HEAD').strip()
    diff = git('diff', 'HEAD', '--', 'image_classification') + ''.join(
        (root/f).read_text(errors='replace') for f in git('ls-files', '--others', '--exclude-standard', 'image_classification').split())
    return head + (f"+{hashlib.sha256(diff.encode()).hexdigest()[:8]}" if diff else '')

def machine()->str:
    import torch, fastai
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__} "
            f"(CPU; OMP_NUM_THREADS per run: see the README section of its date), fastai {fastai.__version__}")

def record(rows:list):
    OUT.mkdir(parents=True, exist_ok=True)
    new = pd.DataFrame(rows)
    for c in COLS:
        if c not in new: new[c] = None
    new['date'] = new['date'].fillna(time.strftime('%Y-%m-%d'))
    df = pd.read_csv(CSV) if CSV.exists() else pd.DataFrame(columns=COLS)
    for c in COLS:
        if c not in df: df[c] = None
    key = set(zip(new.dataset, new.method))
    df = df[[(d, m) not in key for d, m in zip(df.dataset, df.method)]]
    df = pd.concat([df, new[COLS]], ignore_index=True) if len(df) else new[COLS]
    order = {d: i for i, d in enumerate(['fontglyphs', 'fontglyphs_imb', 'deepsky', 'elpv'])}
    df = df.sort_values(['dataset', 'method'], key=lambda s: s.map(order).fillna(99) if s.name == 'dataset' else s.map(_morder))
    df.to_csv(CSV, index=False)
    lines = [f"Real-data baselines (benchmarks/realdata/README.md): scored on each dataset's TEST split (held-out typeface "
             f"groups / held-out objects), trained on train.csv (train + valid rows; fastai and the kit validate on the "
             f"valid rows). Machine: {machine()}; 2 cores shared with other work, so seconds are wall-clock upper bounds "
             f"(the load average at the start and end of each row is given).", '',
             "`code` (kit rows): the commit, + and a digest of the uncommitted changes to image_classification/ when there were any.", '',
             '| dataset | method | accuracy | balanced accuracy | seconds | load avg (start/end) | train rows | test rows | date | code |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for r in df.itertuples():
        lines.append(f"| {r.dataset} | {r.method} | {r.accuracy:.4f} | {r.balanced_accuracy:.4f} | {r.seconds:.0f} | "
                     f"{r.load_start:.1f}/{r.load_end:.1f} | {r.n_train} | {r.n_test} | {r.date} | {'' if pd.isna(r.code) else r.code} |")
    MD.write_text('\n'.join(lines) + '\n')
    return df

def _morder(m:str):
    m = str(m)
    return (0 if m.startswith('majority') else 1 if m.startswith('SVC') else 2 if m.startswith('LogReg') else
            3 if m.startswith('plain') else 4)
