"""Batch size and learning rate from scratch (issue 19, item 5: defaults that use the device). A GPU trains small
images fastest at batch 256-1024, but the from-scratch lr rule (1e-2) was set at batch 64. Which lr goes with a
larger batch is a question of accuracy, not of speed, so it is measured here on the CPU: the chooser's recipe
(simple_cnn from scratch, its sizes and epochs) at batch 64 / lr 1e-2 against batch 256 and 512 at several lrs,
scored on the held-back test split of each real set (benchmarks/realdata/).

    OMP_NUM_THREADS=1 python benchmarks/bs_lr.py /work/data/fontglyphs /work/data/deepsky --grid 64:1e-2,256:1e-2,256:2e-2,256:4e-2,512:4e-2
    # writes benchmarks/results/bs_lr.csv and .md"""
import argparse, json, time
from pathlib import Path
import numpy as np, pandas as pd
from image_classification.all import *
from image_classification.bench import _md  # a markdown table without tabulate
from image_classification.core import accuracy, balanced_accuracy

def one(data:Path, bs:int, lr:float, seed:int, work:Path)->dict:
    table = read_table(data/'train.csv')
    table = split_table(table, 'column') if 'split' in table else split_table(table, 'stratified', seed=0)
    test = read_table(data/'test.csv')
    t0 = time.time()
    run = train(TrainConfig(arch='simple_cnn', bs=bs, lr=lr, seed=seed, threads=1), table, out=work/f'{data.name}_{bs}_{lr}_{seed}', quiet=True)
    p = predict_probs(run.folder, test.drop(columns='label'), progress=False)
    y = np.array([run.meta['classes'].index(l) for l in test['label']])
    return dict(data=data.name, bs=bs, lr=lr, seed=seed, epochs=sum(run.meta['config']['epochs']) if 'config' in run.meta else None,
                seconds=round(time.time() - t0, 1), valid_accuracy=run.meta['metrics']['accuracy'],
                accuracy=accuracy(p, y), balanced_accuracy=balanced_accuracy(p, y))

def main():
    a = argparse.ArgumentParser(); a.add_argument('data', nargs='+'); a.add_argument('--seeds', default='0')
    a.add_argument('--grid', default='64:1e-2,256:1e-2,256:2e-2,256:4e-2,512:4e-2'); a.add_argument('--work', default='/tmp/imgclf_bs_lr')
    args = a.parse_args()
    out, rows = Path(__file__).resolve().parent/'results', []
    for d in args.data:
        for seed in map(int, args.seeds.split(',')):
            for bs, lr in (g.split(':') for g in args.grid.split(',')):
                rows.append(one(Path(d), int(bs), float(lr), seed, Path(args.work)))
                print(json.dumps(rows[-1]), flush=True)
                pd.DataFrame(rows).to_csv(out/'bs_lr.csv', index=False)
    df = pd.DataFrame(rows)
    md = df.groupby(['data', 'bs', 'lr'], sort=False)[['accuracy', 'balanced_accuracy', 'valid_accuracy', 'seconds']].mean().round(4).reset_index()
    (out/'bs_lr.md').write_text(_md(md, '{:.4f}') + '\n')
    print(md.to_string(index=False))

if __name__ == '__main__': main()
