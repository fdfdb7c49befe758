"""Every GPU measurement of issue 19 in one process (run by benchmarks/gpu.sh): the loop benchmark (plain loop, fastai
and the kit, bf16, batch 256) on its four cases, operations and host synchronisations per training step, `imgclf demo`
and `imgclf train` with no options on 12k icons, with the GPU's utilisation sampled every 250 ms during each. Writes
benchmarks/results/gpu_*.csv and .md, and the GPU section of BENCHMARKS.md. On a machine without CUDA it runs what a CPU
can (the step counts, and the demo and the default training on small data with --quick) and says the GPU rows are
skipped, so CI runs the script end to end.

    python benchmarks/gpu_bench.py [--quick] [--out benchmarks/results]"""
import argparse, json, os, re, shutil, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path
import pandas as pd, torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from image_classification.bench import (GPU_CASES, STEP_CASES, BenchCase, bench_loops, bench_table, count_steps, machine_info,
                                        steps_line, summarize_loops, write_table, _md)
from image_classification.datasets import make_icons

TARGETS = dict(ratio=0.95, resnet34_224=6000, simple_cnn_32=30000, demo_s=30, train_img_s=10000)

class Utilisation:
    "Samples `nvidia-smi`'s GPU utilisation every `every` seconds in a thread (nothing without nvidia-smi)"
    def __init__(self, every=0.25): self.every, self.samples, self.ok = every, [], shutil.which('nvidia-smi') is not None
    def __enter__(self):
        self.stop = threading.Event()
        if self.ok: self.t = threading.Thread(target=self._run, daemon=True); self.t.start()
        return self
    def _run(self):
        while not self.stop.is_set():
            r = subprocess.run(['nvidia-smi', '--query-gpu=utilization.gpu', '--format=csv,noheader,nounits'], capture_output=True, text=True)
            try: self.samples.append(float(r.stdout.split()[0]))
            except (ValueError, IndexError): pass
            time.sleep(self.every)
    def __exit__(self, *a):
        self.stop.set()
        if self.ok: self.t.join()
    def summary(self)->dict:
        s = self.samples
        return dict(util_mean=round(statistics.mean(s), 1) if s else None, util_median=statistics.median(s) if s else None, util_samples=len(s))

def imgclf(*args)->tuple[int, str, float]:
    "Run the command line in a subprocess: (exit status, output, seconds)"
    t0 = time.time()
    r = subprocess.run([sys.executable, '-m', 'image_classification.cli', *map(str, args)], capture_output=True, text=True,
                       env={**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [os.environ.get('PYTHONPATH'), str(ROOT)]))})
    return r.returncode, r.stdout + r.stderr, time.time() - t0

def loops(out, machine, quick, log):
    if not torch.cuda.is_available(): log("no CUDA device: the loop benchmark's GPU rows are skipped"); return None
    cases = GPU_CASES if not quick else [BenchCase('simple_cnn', 32, 4, 256, precision='bf16', device='cuda')]
    raw = bench_loops(cases, ('plain', 'fastai', 'kit'), reps=1 if quick else 3, bs=256, log=log)
    s = summarize_loops(raw)[['case', 'method', 'train_img_s', 'train_ratio', 'valid_img_s', 'valid_ratio', 'accuracy', 'reps']]
    write_table(s, out, 'gpu_loop', 'GPU training throughput, bf16, batch 256: plain loop, fastai, kit', machine, 'python benchmarks/gpu_bench.py')
    return s

def steps(out, machine, quick, work):
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    cases = [BenchCase(c.arch, c.size, c.batches, c.valid, device=dev, precision='bf16' if dev == 'cuda' else 'fp32')
             for c in (STEP_CASES[:1] if quick else STEP_CASES)]
    s = pd.concat([count_steps(c, bench_table(work, 6 * 8, 16), bs=8) for c in cases], ignore_index=True)
    write_table(s, out, 'gpu_steps', f'Aten operations and host synchronisations per training step, on {dev}', machine, 'python benchmarks/gpu_bench.py')
    return s

def demo(quick, work, log):
    with Utilisation() as u: code, text, secs = imgclf('demo', '--out', work/'demo', '--quiet', *(['--quick'] if quick else []))
    if code: raise SystemExit(f"imgclf demo failed:\n{text[-3000:]}")
    test = float(re.search(r'held-back test accuracy of the weighted ensemble: ([\d.]+)', text).group(1))
    log(f"demo: {secs:.0f} s, held-back test accuracy {test:.4f}")
    return dict(step='imgclf demo' + (' --quick' if quick else ''), seconds=round(secs, 1), accuracy=test, **u.summary())

def default_train(quick, work, log):
    root = make_icons(work/'icons', n_per_class=30 if quick else 1229, seed=0)
    with Utilisation() as u:
        code, text, secs = imgclf('train', root, '--out', work/'runs', '--quiet', *(['--epochs', '1'] if quick else []))
    if code: raise SystemExit(f"imgclf train failed:\n{text[-3000:]}")
    run = Path(re.search(r'run: (\S+)', text).group(1))
    meta, hist = json.loads((run/'model.json').read_text()), pd.read_csv(run/'history.csv')
    n_train = meta['recipe']['profile']['n_train'] if meta.get('recipe') else None
    img_s = n_train / hist['seconds'].median() if n_train else None  # an epoch's training images over its seconds (validation included)
    log(f"train with no options: {secs:.0f} s, bs {meta['config']['bs']}, {img_s:.0f} img/s per epoch")
    return dict(step=f"imgclf train, no options, {n_train} icons", seconds=round(secs, 1), accuracy=meta['metrics']['accuracy'],
                bs=meta['config']['bs'], epoch_img_s=round(img_s, 1) if img_s else None, **u.summary())

def verdicts(loop, runs)->list[str]:
    "Each issue-19 target against what was measured ('owed' without a GPU)"
    if loop is None: return ["GPU targets: not measured here (no CUDA device); every GPU figure is still owed"]
    kit = loop[loop.method == 'kit'].set_index('case')
    out = [f"kit/plain training throughput >= {TARGETS['ratio']}: " + ', '.join(f"{c} {r:.2f}" for c, r in kit['train_ratio'].items())]
    for name, key in (('resnet34@224 bf16 cuda', 'resnet34_224'), ('simple_cnn@32 bf16 cuda', 'simple_cnn_32')):
        if name in kit.index: out.append(f"{name}: kit {kit.loc[name, 'train_img_s']:.0f} img/s (target {TARGETS[key]:,})")
    for r in runs: out.append(f"{r['step']}: {r['seconds']:.0f} s" + (f", {r['epoch_img_s']:.0f} img/s in its epochs" if r.get('epoch_img_s') else ''))
    return out

def benchmarks_section(out:Path, lines:list, machine:dict):
    "Rewrite the GPU section of BENCHMARKS.md (between its markers) from the files just written"
    md = ROOT/'BENCHMARKS.md'
    parts = [f"Measured by `benchmarks/gpu.sh` on {machine.get('gpu') or machine.get('processor') or 'this machine'} "
             f"({time.strftime('%Y-%m-%d')}).", '', *[f"- {l}" for l in lines], '']
    for name in ('gpu_loop', 'gpu_steps', 'gpu_runs'):
        f = out/f'{name}.md'
        if f.is_file(): parts += [f"### {name}", '', f.read_text().strip(), '']
    text, new = md.read_text(), '<!-- gpu -->\n' + '\n'.join(parts) + '\n<!-- /gpu -->'
    text = re.sub(r'<!-- gpu -->.*<!-- /gpu -->', lambda m: new, text, flags=re.S) if '<!-- gpu -->' in text else text.rstrip() + '\n\n## GPU\n\n' + new + '\n'
    md.write_text(text)

def main():
    a = argparse.ArgumentParser(); a.add_argument('--quick', action='store_true'); a.add_argument('--out', default=str(ROOT/'benchmarks'/'results'))
    a.add_argument('--no-benchmarks-md', action='store_true')
    a.add_argument('--work', default=None, help='keep the demo, data and runs in this folder (default: a temporary one, removed)')
    args = a.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix='gpu-bench-'))
    out, log = Path(args.out), (lambda s: print(s, flush=True))
    out.mkdir(parents=True, exist_ok=True)
    machine = {**machine_info(), 'gpu': torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    t0 = time.time()
    loop = loops(out, machine, args.quick, log)
    st = steps(out, machine, args.quick, work)
    runs = [demo(args.quick, work, log), default_train(args.quick, work, log)]
    write_table(pd.DataFrame(runs), out, 'gpu_runs', 'imgclf demo and imgclf train with no options, with the GPU utilisation sampled every 250 ms', machine, 'python benchmarks/gpu_bench.py')
    lines = verdicts(loop, runs) + [steps_line(st)]
    (out/'gpu_summary.md').write_text('\n'.join(f'- {l}' for l in lines) + f"\n\n(total {time.time() - t0:.0f} s)\n")
    if not args.no_benchmarks_md: benchmarks_section(out, lines, machine)
    for l in lines: print(l)
    if not args.work: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
