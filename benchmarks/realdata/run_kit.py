"""The kit's current defaults, once, on a real-data folder: `imgclf train DIR/train.csv --out RUNS/NAME --quiet` (no
recipe options), then `imgclf predict RUNS/NAME DIR/test.csv --out RUNS/NAME/sub.csv`, scored with score.py against
test.csv; the row goes to benchmarks/results/realdata_baselines.csv/.md (seconds: train + predict, wall clock).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/realdata/run_kit.py /work/data/fontglyphs [--runs /work/data/runs] [--budget 10m]"""
import argparse, os, shutil, subprocess, sys, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import results, score

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('root', type=Path)
    ap.add_argument('--runs', type=Path, default=Path('/work/data/runs'))
    ap.add_argument('--budget', default=None, help="pass --budget to imgclf train (only if a run would take > ~20 min)")
    ap.add_argument('--name', default=None)
    a = ap.parse_args()
    name = a.name or a.root.name
    out = a.runs/name
    if out.exists(): shutil.rmtree(out)
    imgclf = str(Path(sys.executable).with_name('imgclf'))
    cmd = [imgclf, 'train', str(a.root/'train.csv'), '--out', str(out), '--quiet'] + (['--budget', a.budget] if a.budget else [])
    code = results.code_state()
    l0, t0 = os.getloadavg()[0], time.time()
    print('$', ' '.join(cmd[1:]), flush=True)
    r = subprocess.run(cmd, capture_output=True, text=True)
    t_train = time.time() - t0
    print(r.stdout[-4000:], r.stderr[-4000:], sep='\n')
    if r.returncode: raise SystemExit(f'imgclf train failed ({r.returncode})')
    sub = out/'sub.csv'
    cmd = [imgclf, 'predict', str(out), str(a.root/'test.csv'), '--out', str(sub), '--quiet']
    print('$', ' '.join(cmd[1:]), flush=True)
    t1 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True)
    t_pred = time.time() - t1
    print(p.stdout[-2000:], p.stderr[-2000:], sep='\n')
    if p.returncode: raise SystemExit(f'imgclf predict failed ({p.returncode})')
    s = score.score(sub, a.root/'test.csv')
    import pandas as pd
    n_train = len(pd.read_csv(a.root/'train.csv'))
    method = f"`imgclf train` defaults (no options{', --budget ' + a.budget if a.budget else ''}) + `imgclf predict`"
    row = dict(dataset=name, method=method, accuracy=s['accuracy'], balanced_accuracy=s['balanced_accuracy'],
               seconds=t_train + t_pred, load_start=l0, load_end=os.getloadavg()[0], n_train=n_train, n_test=s['n'], code=code)
    if results.code_state() != code: print('warning: the kit code changed during this run')
    print(f"{name}: accuracy {s['accuracy']:.4f}, balanced accuracy {s['balanced_accuracy']:.4f}; train {t_train:.0f}s, "
          f"predict {t_pred:.0f}s")
    results.record([row])

if __name__ == '__main__': main()
