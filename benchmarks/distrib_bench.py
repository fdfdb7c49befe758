"""Past one GPU (issue 17), every measurement in one process (run by benchmarks/distrib_gpu.sh):

1. data parallel: the same `imgclf train` on one GPU, then on every GPU of the machine (`torchrun --nproc_per_node N`),
   the same batch per process: img/s of an epoch (training and validation images over the epoch's seconds, the
   first epoch left out), its scaling over one GPU, the accuracy, and the checks of a distributed run (one run
   folder, `model.json`'s `data_parallel`, no `module.` keys). On a machine with one GPU, N = 2 processes share it
   (over gloo): that checks the code path on a GPU, and its img/s is no scaling figure (the table says so).
2. folds across devices: `imgclf kfold --devices` (one worker per GPU; on a one-GPU machine two workers share it)
   against the folds one after the other: wall seconds and the largest difference of the out-of-fold probabilities.

Writes benchmarks/results/distrib_gpu_*.{csv,md}, distrib_gpu_section.md (the new text of BENCHMARKS.md's section
between the `<!-- distrib-gpu -->` markers) and, on a GPU machine, that section of BENCHMARKS.md itself. `--quick`
(what a CPU can do, to test the script): tiny data, two CPU processes, no BENCHMARKS.md. On a lent machine whose
files come back only from a folder ($OUT): `--out $OUT --no-benchmarks-md` there, then here
`python benchmarks/distrib_bench.py --apply FOLDER` puts FOLDER/distrib_gpu_section.md into BENCHMARKS.md.

    python benchmarks/distrib_bench.py [--quick] [--out benchmarks/results] [--no-benchmarks-md] [--apply FOLDER]"""
import argparse, json, os, re, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch
from safetensors import safe_open

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from image_classification.bench import machine_info, write_table
from image_classification.datasets import make_icons

ENV = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [str(ROOT), os.environ.get('PYTHONPATH')])), 'PYTHONUNBUFFERED': '1'}

def run(cmd:list, log)->tuple[str, float]:
    "Run `cmd` (a command line of this Python); its output and wall seconds; stop the benchmark if it fails"
    t0 = time.time()
    r = subprocess.run([sys.executable, *map(str, cmd)], capture_output=True, text=True, env=ENV)
    if r.returncode: raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{(r.stdout + r.stderr)[-4000:]}")
    log(f"  {time.time() - t0:.0f} s: {' '.join(map(str, cmd))[:160]}")
    return r.stdout, time.time() - t0

def imgclf(*args)->list: return ['-m', 'image_classification.cli', *args]
def launched(n:int, *args)->list:
    return ['-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', n, '-m', 'image_classification.cli', *args]

def train_row(case:str, out:Path, secs:float, n_proc:int, bs:int, n_gpu:int)->dict:
    "One row of the data-parallel table from a finished run folder (checked as a distributed run when `n_proc` > 1)"
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1, runs
    meta, hist = json.loads((runs[0]/'model.json').read_text()), pd.read_csv(runs[0]/'history.csv')
    with safe_open(str(runs[0]/'model.safetensors'), 'pt') as f: assert not any(k.startswith('module.') for k in f.keys())
    if n_proc > 1: assert meta['data_parallel'] == dict(processes=n_proc, batch_per_process=bs, batch=bs * n_proc), meta.get('data_parallel')
    n_img = int((pd.read_csv(out/'data.csv')['split'] != 'valid').sum())  # training images of an epoch (its seconds include validation)
    epoch_s = float(hist['seconds'].iloc[1:].median() if len(hist) > 1 else hist['seconds'].iloc[0])
    shared = n_proc > max(1, n_gpu)
    return dict(case=case, processes=n_proc, gpus=min(n_proc, n_gpu) or 0, batch_per_process=bs, batch_per_step=bs * n_proc,
                epoch_s=round(epoch_s, 3), img_s=round(n_img / epoch_s, 1), wall_s=round(secs, 1), accuracy=meta['metrics']['accuracy'],
                note='processes share one GPU over gloo: a check of the code path, not a scaling figure' if shared and n_gpu else '')

def data_parallel(data:Path, work:Path, n_gpu:int, quick:bool, log)->list:
    n = n_gpu if n_gpu > 1 else 2
    bs = 8 if quick else 128
    recipe = ['--arch', 'simple_cnn' if quick else 'resnet34', '--no-pretrained', '--sizes', '32' if quick else '128',
              '--epochs', '2' if quick else '4', '--bs', bs, '--lr', '1e-3', '--aug', 'default', '--class-weights', 'none', '--quiet']
    rows = []
    for case, n_proc in (('one process', 1), (f'{n} processes (torchrun)', n)):
        out = work/f'dp{n_proc}'
        cmd = (imgclf if n_proc == 1 else lambda *a: launched(n_proc, *a))('train', data, *recipe, '--out', out)
        _, secs = run(cmd, log)
        rows.append(train_row(case, out, secs, n_proc, bs, n_gpu))
        log(f"  {case}: {rows[-1]['img_s']:.0f} img/s per epoch, accuracy {rows[-1]['accuracy']:.4f}")
    rows[1]['scaling'] = round(rows[1]['img_s'] / rows[0]['img_s'], 2)
    return rows

def folds(data:Path, work:Path, n_gpu:int, quick:bool, log)->list:
    devices = ','.join(map(str, range(n_gpu))) if n_gpu > 1 else '0,0' if n_gpu else 'cpu,cpu'
    recipe = ['--arch', 'simple_cnn', '--no-pretrained', '--sizes', '32', '--epochs', '2' if quick else '6', '--bs', '8' if quick else '128',
              '--lr', '1e-2', '--aug', 'default', '--class-weights', 'none', '--k', '2' if quick else '4', '--threads', '1', '--quiet']
    rows = []
    for case, extra in (('folds one by one', []), (f'folds across devices ({devices})', ['--devices', devices])):
        out = work/('kf-' + ('par' if extra else 'seq'))
        _, secs = run(imgclf('kfold', data, *recipe, '--out', out, *extra), log)
        rows.append(dict(case=case, wall_s=round(secs, 1), cv=json.loads((out/'kfold.json').read_text())['cv_mean']))
    diff = np.abs(np.load(work/'kf-par'/'oof_probs.npy') - np.load(work/'kf-seq'/'oof_probs.npy')).max()
    rows[1].update(speedup=round(rows[0]['wall_s'] / rows[1]['wall_s'], 2), max_oof_diff=float(diff))
    log(f"  folds: {rows[0]['wall_s']:.0f} s one by one, {rows[1]['wall_s']:.0f} s across devices; out-of-fold probabilities {diff:.1e} apart")
    return rows

def section_text(out:Path, machine:dict, lines:list)->str:
    "The new section of BENCHMARKS.md (between the distrib-gpu markers) from the tables just written; saved in `out` too"
    parts = [f"Measured by `benchmarks/distrib_gpu.sh` on {machine.get('gpu') or 'this machine'} ({time.strftime('%Y-%m-%d')}).", '',
             *[f"- {l}" for l in lines], '']
    for name in ('distrib_gpu_train', 'distrib_gpu_folds'):
        f = out/f'{name}.md'
        if f.is_file(): parts += [re.sub(r'^## ', '#### ', f.read_text().strip()), '']  # the table's own title, one level down
    new = '<!-- distrib-gpu -->\n' + '\n'.join(parts) + '\n<!-- /distrib-gpu -->'
    (out/'distrib_gpu_section.md').write_text(new + '\n')
    return new

def benchmarks_section(new:str):
    "Put `new` (a section with its markers) into BENCHMARKS.md in place of the old one"
    md = ROOT/'BENCHMARKS.md'
    text, new = md.read_text(), new.strip()
    md.write_text(re.sub(r'<!-- distrib-gpu -->.*<!-- /distrib-gpu -->', lambda m: new, text, flags=re.S) if '<!-- distrib-gpu -->' in text
                  else text.rstrip() + '\n\n' + new + '\n')

def main():
    a = argparse.ArgumentParser(); a.add_argument('--quick', action='store_true'); a.add_argument('--out', default=str(ROOT/'benchmarks'/'results'))
    a.add_argument('--no-benchmarks-md', action='store_true')
    a.add_argument('--apply', default=None, help="only put FOLDER/distrib_gpu_section.md (a GPU machine's results) into BENCHMARKS.md")
    args = a.parse_args()
    if args.apply: return benchmarks_section((Path(args.apply)/'distrib_gpu_section.md').read_text())
    out, work, log = Path(args.out), Path(tempfile.mkdtemp(prefix='distrib-bench-')), (lambda s: print(s, flush=True))
    out.mkdir(parents=True, exist_ok=True)
    n_gpu = torch.cuda.device_count()
    machine = {**machine_info(), 'gpu': f"{n_gpu} x {torch.cuda.get_device_name(0)}" if n_gpu else None}
    log(f"{n_gpu} GPU(s); {'quick check' if args.quick else 'full run'}")
    data = make_icons(work/'icons', n_per_class=12 if args.quick else 1229, seed=0)
    t0 = time.time()
    dp, kf = data_parallel(data, work, n_gpu, args.quick, log), folds(data, work, n_gpu, args.quick, log)
    cmd = 'bash benchmarks/distrib_gpu.sh'
    write_table(pd.DataFrame(dp), out, 'distrib_gpu_train', 'imgclf train: one process against data parallel over the machine (img/s of an epoch)', machine, cmd)
    write_table(pd.DataFrame(kf), out, 'distrib_gpu_folds', 'imgclf kfold: folds one by one against folds across devices', machine, cmd)
    lines = [f"data parallel, {dp[1]['case']}: {dp[1]['img_s']:.0f} img/s against {dp[0]['img_s']:.0f} on one process: {dp[1]['scaling']:.2f}x"
             + (f" ({dp[1]['note']})" if dp[1]['note'] else '') + f"; accuracy {dp[1]['accuracy']:.4f} against {dp[0]['accuracy']:.4f}",
             f"{kf[1]['case']}: {kf[1]['speedup']:.2f}x the folds one by one; out-of-fold probabilities {kf[1]['max_oof_diff']:.1e} apart"]
    if not n_gpu: lines.insert(0, "no CUDA device: CPU processes only (a check of the script; no GPU figure)")
    (out/'distrib_gpu_summary.md').write_text('\n'.join(f'- {l}' for l in lines) + f"\n\n(total {time.time() - t0:.0f} s)\n")
    new = section_text(out, machine, lines)
    if not args.no_benchmarks_md and n_gpu: benchmarks_section(new)
    for l in lines: print(l)

if __name__ == '__main__': main()
