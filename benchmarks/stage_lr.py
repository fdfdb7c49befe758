"""A later stage's learning rate under progressive resizing (issue 20, item 5): lr_find at every stage ('find', the
kit's default) against lr_find once ('find-once': a later stage starts a new cycle at the peak rate of the phase
before it, fastbook's practice after a resize). Pretrained tf_efficientnet_lite0 (the only
ImageNet weights that ship offline) in two stages on real sets built by `benchmarks/realdata/`, each scored on its
held-back test.csv (natural class distribution).

    OMP_NUM_THREADS=1 python benchmarks/stage_lr.py deepsky:64,128 textures:48,96 elpv128:64,128 --seeds 0
    # rows are added to benchmarks/results/stage_lr.csv (a rerun of data x variant x seed replaces its row) and .md"""
import argparse, json, time
from pathlib import Path
import numpy as np, pandas as pd
from image_classification.all import *
from image_classification.bench import _md  # a markdown table without tabulate
from image_classification.core import accuracy, balanced_accuracy

VARIANTS = ('find', 'find-once')
OUT = Path(__file__).resolve().parent/'results'

def one(data:Path, sizes:list, lr:str, seed:int, work:Path)->dict:
    table = split_table(read_table(data/'train.csv'), 'column')
    test = read_table(data/'test.csv')
    t0 = time.time()
    cfg = TrainConfig(arch='tf_efficientnet_lite0', sizes=sizes, lr=lr, seed=seed)
    run = train(cfg, table, out=work/f'{data.name}_{lr}_{seed}', quiet=True)
    secs = time.time() - t0
    p = predict_probs(run.folder, test.drop(columns='label'), progress=False)
    y = np.array([run.meta['classes'].index(l) for l in test['label']])
    h = pd.read_csv(run.folder/'history.csv')
    last = lambda st: float(h[h.stage == st].accuracy.iloc[-1]) if (h.stage == st).any() else float('nan')
    return dict(data=data.name, sizes=','.join(map(str, sizes)), epochs=','.join(map(str, run.meta['epochs'])), lr=lr, seed=seed,
                stage_lrs=' / '.join(f'{v:.2g}' for v in run.meta['lrs']), valid_end_stage1=last(0), valid_end_stage2=last(1),
                valid_best=run.meta['metrics']['accuracy'], best_stage=int(h.loc[h.accuracy.idxmax(), 'stage']) + 1,
                test_accuracy=accuracy(p, y), test_balanced_accuracy=balanced_accuracy(p, y), seconds=round(secs, 1),
                warnings='; '.join(run.meta.get('warnings', [])), date=time.strftime('%Y-%m-%d'))

HEAD = ("# A later stage's learning rate: lr_find again ('find') or the first stage's rate carried ('find-once')\n\n"
        "`python benchmarks/stage_lr.py` (its docstring says how). Pretrained tf_efficientnet_lite0, two stages, the chooser's "
        "other choices; valid_* on the train.csv valid split, test_* on the held-back test.csv; 2-core CPU, one job at a time.\n\n")

def record(row:dict, name:str='stage_lr', head:str=HEAD):
    "Add `row` to results/NAME.csv (replacing a rerun of its data x lr x seed x sizes) and rewrite NAME.md"
    csv = OUT/f'{name}.csv'
    df = pd.read_csv(csv, dtype={'sizes': str, 'lr': str}) if csv.exists() else pd.DataFrame()
    if len(df): df = df[~((df.data == row['data']) & (df.lr == row['lr']) & (df.seed == row['seed']) & (df.sizes == row['sizes']))]
    df = pd.concat([df, pd.DataFrame([row])], ignore_index=True)
    df.to_csv(csv, index=False)
    (OUT/f'{name}.md').write_text(head + _md(df.drop(columns=['warnings']), '{:.4f}') + '\n')

def main(name:str='stage_lr', head:str=HEAD, variants=VARIANTS, after=None):
    "Run every set x seed x variant of the command line one at a time, recording each row in results/NAME (then `after()`)"
    a = argparse.ArgumentParser(); a.add_argument('sets', nargs='+', help='NAME:SIZES, e.g. deepsky:64,128')
    a.add_argument('--root', default='/work/data'); a.add_argument('--seeds', default='0')
    a.add_argument('--variants', default=','.join(variants)); a.add_argument('--work', default=f'/tmp/imgclf_{name}')
    args = a.parse_args()
    for s in args.sets:
        data, sizes = s.split(':')
        for seed in map(int, args.seeds.split(',')):
            for lr in args.variants.split(','):
                row = one(Path(args.root)/data, [int(x) for x in sizes.split(',')], lr, seed, Path(args.work))
                print(json.dumps(row), flush=True)
                record(row, name, head)
                if after: after()

if __name__ == '__main__': main()
