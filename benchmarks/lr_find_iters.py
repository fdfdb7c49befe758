"""How many mock-training iterations lr_find needs (issue 20, item 5; `TrainConfig.lr_find_iters`, fastai's default 100).
lr_find is not cheap on a CPU: on elpv128 (25 batches an epoch) its 100 iterations cost four epochs' worth of steps, 320
of a run's 1,020 s. This measures only lr_find: the valley it suggests and its seconds, for N iterations against 100, on
the model, batch and first phase the chooser picks (pretrained tf_efficientnet_lite0, its first, frozen phase: where
`train` runs it), from the same initial weights for every N of a seed. A smaller N is as good as 100 where its valleys
fall within the spread that 100 iterations already show between seeds (the seed changes the new head and the batches
drawn); training at a valley is measured elsewhere (`benchmarks/lr_pretrained.py`).

    OMP_NUM_THREADS=1 python benchmarks/lr_find_iters.py textures:96 deepsky:64 elpv128:128 --seeds 0,1,2 --iters 100,50,25
    # rows go to benchmarks/results/lr_find_iters.csv (a rerun of data x iters x seed replaces its row), a summary to .md"""
import argparse, json, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd
from image_classification.all import *
from image_classification.bench import _md
from image_classification.train import RunState, _fresh_progress, lr_find_valley

OUT = Path(__file__).resolve().parent/'results'

def one(data:Path, size:int, n:int, seed:int, work:Path)->dict:
    "lr_find with `n` iterations on `data` at `size` as `train` would run it for seed `seed`: valley and seconds"
    table = split_table(read_table(data/'train.csv'), 'column')
    cfg = complete_config(TrainConfig(arch='tf_efficientnet_lite0', sizes=[size], lr='find', seed=seed, lr_find_iters=n), table, quiet=True)
    folder = Path(tempfile.mkdtemp(dir=work))
    state = RunState(cfg, table, work, folder, _fresh_progress(), quiet=True)  # seeds everything, builds the model
    ph = state.phases[0]
    learn = state.learner(ph['size']); state._freeze(ph)
    t0 = time.time()
    valley = lr_find_valley(learn, n)
    return dict(data=data.name, size=size, bs=cfg.bs, batches_per_epoch=len(learn.dls.train), iters=n, seed=seed,
                valley=valley, seconds=round(time.time() - t0, 1), date=time.strftime('%Y-%m-%d'))

def summary(df:pd.DataFrame)->str:
    "Per data x iters: the valleys of the seeds, their geometric mean, the largest factor from the same seed's 100-iteration valley"
    rows = []
    for (data, n), g in df.groupby(['data', 'iters'], sort=False):
        ref = df[(df.data == data) & (df.iters == 100)].set_index('seed').valley
        g = g.set_index('seed')
        common = g.index.intersection(ref.index)
        ratio = np.exp(np.abs(np.log(g.valley[common] / ref[common]))) if len(common) else pd.Series(dtype=float)
        rows.append(dict(data=data, iters=n, seeds=','.join(map(str, g.index)), valleys=' / '.join(f'{v:.1e}' for v in g.valley),
                         geo_mean=float(np.exp(np.log(g.valley).mean())), spread=float(g.valley.max() / g.valley.min()),
                         max_factor_from_100=float(ratio.max()) if len(ratio) else float('nan'), seconds=float(g.seconds.mean())))
    return _md(pd.DataFrame(rows), '{:.3g}')

HEAD = ("# lr_find's iterations: the valley and the seconds for N mock-training iterations\n\n"
        "`python benchmarks/lr_find_iters.py` (its docstring says how). Pretrained tf_efficientnet_lite0, the chooser's batch, "
        "its first (frozen) phase; `spread`: largest / smallest valley over the seeds; `max_factor_from_100`: the largest "
        "factor between a seed's valley and the same seed's at 100 iterations; seconds: lr_find alone, 2-core CPU, one job at a time.\n\n")

def record(row:dict):
    csv = OUT/'lr_find_iters.csv'
    df = pd.read_csv(csv) if csv.exists() else pd.DataFrame()
    if len(df): df = df[~((df.data == row['data']) & (df.iters == row['iters']) & (df.seed == row['seed']) & (df['size'] == row['size']))]
    df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
    df.to_csv(csv, index=False)
    (OUT/'lr_find_iters.md').write_text(HEAD + summary(df) + '\n\n## Rows\n\n' + _md(df, '{:.3g}') + '\n')

if __name__ == '__main__':
    a = argparse.ArgumentParser(); a.add_argument('sets', nargs='+', help='NAME:SIZE, e.g. deepsky:64')
    a.add_argument('--root', default='/work/data'); a.add_argument('--seeds', default='0,1,2')
    a.add_argument('--iters', default='100,50,25'); a.add_argument('--work', default='/tmp/imgclf_lr_find_iters')
    args = a.parse_args()
    Path(args.work).mkdir(parents=True, exist_ok=True)
    for s in args.sets:
        data, size = s.split(':')
        for seed in map(int, args.seeds.split(',')):
            for n in map(int, args.iters.split(',')):
                row = one(Path(args.root)/data, int(size), n, seed, Path(args.work))
                print(json.dumps(row), flush=True); record(row)
