"""How many torch threads should a run use (issue 20)? Times training steps of simple_cnn at 32 px and resnet34 at 64 px
(batch 64, the kit's cached loader, AdamW) with 1 and 2 threads, on an idle machine and with one busy-loop process per
core minus one (`--busy`), and records img/s (wall) and CPU-seconds per step of this process. The rule the kit keeps
(`core.choose_threads`: the cores other processes leave free) is then checked against the winner of each row.

    python benchmarks/threads.py            # idle machine
    python benchmarks/threads.py --busy 1   # one busy-loop process beside it
    # appends to benchmarks/results/threads.csv, rewrites threads.md"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import pandas as pd, torch
from image_classification.all import *
from image_classification.core import choose_threads, cpu_count, other_load
from image_classification.bench import _md  # a markdown table without tabulate

def steps(arch:str, size:int, threads:int, table, n:int=12)->dict:
    torch.set_num_threads(threads)
    info = arch_info(arch)
    dls = get_dls(table, size, bs=64, channels=info.n_in, stats=info.stats(info.n_in), aug='none', num_workers=0, device='cpu')
    model = create_arch(arch, len(classes_of(table)), pretrained=False, n_in=info.n_in)
    opt, loss = torch.optim.AdamW(model.parameters(), 1e-3), torch.nn.CrossEntropyLoss()
    it = iter(dls.train)
    def one():
        nonlocal it
        try: xb, yb = next(it)
        except StopIteration: it = iter(dls.train); xb, yb = next(it)
        opt.zero_grad(); loss(model(xb.as_subclass(torch.Tensor)), yb.as_subclass(torch.Tensor)).backward(); opt.step()
    one()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n): one()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return dict(arch=arch, size=size, threads=threads, img_s=round(64 * n / wall, 1), cpu_s_per_step=round(cpu / n, 3), wall_s_per_step=round(wall / n, 3))

def main():
    a = argparse.ArgumentParser(); a.add_argument('--busy', type=int, default=0); a.add_argument('--reps', type=int, default=3); args = a.parse_args()
    spin = [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(args.busy)]
    try:
        time.sleep(1)
        d = Path(tempfile.mkdtemp())
        table = split_table(read_table(make_icons(d/'icons', n_per_class=80, seed=0)), 'stratified', valid_pct=0.2, seed=0)
        load, chosen, rows = other_load(0.5), choose_threads(), []
        for rep in range(args.reps):
            for arch, size in (('simple_cnn', 32), ('resnet34', 64)):
                for t in (1, 2):
                    rows.append(dict(rep=rep, busy=args.busy, cores=cpu_count(), other_load=round(load, 2), chosen=chosen, **steps(arch, size, t, table)))
                    print(json.dumps(rows[-1]), flush=True)
    finally:
        for p in spin: p.kill()
    out = Path(__file__).resolve().parent/'results'
    old = pd.read_csv(out/'threads.csv') if (out/'threads.csv').exists() else pd.DataFrame()
    df = pd.concat([old[old.busy != args.busy] if len(old) else old, pd.DataFrame(rows)], ignore_index=True)
    df.to_csv(out/'threads.csv', index=False)
    md = df.groupby(['busy', 'arch', 'size', 'threads'])[['img_s', 'cpu_s_per_step', 'wall_s_per_step', 'chosen', 'other_load']].median().reset_index()
    (out/'threads.md').write_text(_md(md, '{:g}') + '\n')
    print(md.to_string(index=False))

if __name__ == '__main__': main()
