"""Issue 8 (performance), the diagnostics behind BENCHMARKS.md that `imgclf bench` does not write itself:

- bench_variants: fastai with the tensor subclass reaching the model (its CastToTensor removed) and with torch's
  AdamW, timed against the hand-written loop and the kit;
- bench_profile: where the time of one kit `train` epoch goes (cProfile, `bench.profile_parts`);
- bench_checkpoint: what the per-epoch checkpoint of `train` (model + optimizer + best weights) costs;
- bench_subclass: what fastai's `TensorImage` would cost inside the model (`bench.subclass_overhead`);
- bench_loader: one pass over the training DataLoader alone, per-item PIL against the cache (`bench.loader_seconds`).

    python benchmarks/bench_cpu.py [--out benchmarks/results] [--reps 10] [--parts checkpoint,subclass,loader,profile,variants]

The main tables come from: imgclf bench --out benchmarks/results
"""
import argparse, tempfile, time, warnings
from pathlib import Path

import pandas as pd, torch
from image_classification.bench import (CPU_CASES, bench_loops, bench_table, cache_table, kit_fit, loader_seconds, machine_info,
                                        parse_case, profile_parts, subclass_overhead, summarize_loops, write_table)


def checkpoint_cost(case, reps=3):
    "Seconds of one epoch's checkpoint in `train` (save_checkpoint + best.safetensors) for the case's model"
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from safetensors.torch import save_file
    from image_classification.models import create_arch
    from image_classification.train import save_checkpoint
    model = create_arch(case.arch, 10, pretrained=False, n_in=case.channels)
    dls = DataLoaders.from_dsets([(torch.zeros(1), 0)], [(torch.zeros(1), 0)], bs=1, device='cpu')
    learn = Learner(dls, model, loss_func=torch.nn.CrossEntropyLoss())
    learn.create_opt()
    for p in model.parameters(): p.grad = torch.zeros_like(p)
    learn.opt.step()  # fills the optimizer state, as after a real epoch
    secs = []
    with tempfile.TemporaryDirectory() as d:
        for _ in range(reps):
            t = time.perf_counter()
            save_checkpoint(Path(d), learn, dict(history=[], best=None))
            save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(Path(d)/'best.safetensors'))
            secs.append(time.perf_counter() - t)
        mb = sum(f.stat().st_size for f in Path(d).rglob('*') if f.is_file()) / 2**20
    return dict(case=case.name, params_m=sum(p.numel() for p in model.parameters()) / 1e6, written_mb=mb,
                checkpoint_s=sorted(secs)[len(secs) // 2])


def main():
    warnings.filterwarnings('ignore')
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='benchmarks/results')
    p.add_argument('--reps', type=int, default=10)
    p.add_argument('--parts', default='checkpoint,subclass,loader,profile,variants')
    p.add_argument('--cases', default=None, help="arch:size[:batches[:valid]], comma-separated (default: the issue's CPU cases)")
    p.add_argument('--variant-cases', default='simple_cnn:32:30:512,efficientnet_b0:128:6:128')
    p.add_argument('--threads', type=int, default=1, help="torch threads (1: CPU seconds measure the work on a shared machine)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    out, parts = Path(a.out), a.parts.split(',')
    cases = [parse_case(c) for c in a.cases.split(',')] if a.cases else CPU_CASES
    log = lambda s: print(s, flush=True)
    machine = machine_info()  # the load average at the start; write_table adds the one at the end
    cmd = f'python benchmarks/bench_cpu.py --parts {a.parts} --reps {a.reps} --threads {a.threads}'
    if 'checkpoint' in parts:
        c = pd.DataFrame([checkpoint_cost(case) for case in cases])
        write_table(c, out, 'bench_checkpoint', "Per-epoch checkpoint of kit train (model + optimizer + best weights)", machine, cmd)
        log(c.to_string())
    if 'subclass' in parts:
        sc = pd.DataFrame([subclass_overhead(case, reps=a.reps) for case in cases])
        write_table(sc, out, 'bench_subclass', "Forward+backward with a plain tensor and with fastai's TensorImage (CPU ms per batch of 64)", machine, cmd)
        log(sc.to_string())
    if 'loader' in parts:
        frames = [loader_seconds(cache_table(d, out/'data'), reps=a.reps).assign(data=d) for d in ('icons', 'digits')]
        raw = pd.concat(frames)
        ld = raw.groupby(['data', 'path'], sort=False)[['seconds', 'images']].median().reset_index()
        ld['img_s'] = ld['images'] / ld['seconds']
        ld['speedup'] = [ld[(ld.data == d) & (ld.path == 'per-item PIL')]['seconds'].iloc[0] / x for d, x in zip(ld['data'], ld['seconds'])]
        write_table(ld, out, 'bench_loader', "One pass over the training DataLoader (simple_cnn's 1 channel, 32 px, default augmentation)", machine, cmd)
        log(ld.to_string())
    if 'profile' in parts:
        frames = []
        for case in cases[:2]:
            table = bench_table(out/'data', case.batches * 64, case.valid)
            kit_fit(case, table)  # warm-up
            frames.append(profile_parts(lambda: kit_fit(case, table)).assign(case=case.name))
            log(frames[-1].to_string())
        prof = pd.concat(frames)[['case', 'part', 'seconds', 'share']]
        write_table(prof, out, 'bench_profile', "Where one epoch of kit train goes (cProfile)", machine, cmd)
    if 'variants' in parts:
        vcases = [parse_case(c) for c in a.variant_cases.split(',')]
        methods = ['plain', 'fastai', 'fastai_typed', 'fastai_torch_adamw', 'kit']
        raw = bench_loops(vcases, methods, a.reps, folder=out/'data', log=log)
        raw.to_csv(out/'bench_variants_rounds.csv', index=False)
        s = summarize_loops(raw)[['case', 'method', 'train_img_cpu_s', 'train_cpu_ratio', 'valid_img_cpu_s', 'valid_cpu_ratio', 'train_img_s', 'train_ratio', 'wall_s', 'reps']]
        write_table(s, out, 'bench_variants', "fastai variants (subclass reaching the model, torch AdamW) against the hand-written loop", machine, cmd)
        log(s.to_string())


if __name__ == '__main__': main()
