"""Imbalanced classes scored on test splits that keep the natural (imbalanced) distribution (issue 20): which remedy
serves accuracy, which balanced accuracy? For each dataset built by `benchmarks/realdata/` (train.csv with its
train/valid split, test.csv held back), the chooser's recipe with `class_weights` none, balanced (loss weights),
sample (every class equally often), tempered (sampling by 1/sqrt(count)) and logit_adjust (Menon et al. 2021); for
logit_adjust also its prior-corrected predictions (probabilities times the class prior: the accuracy-optimal
prediction of the same model).

    python benchmarks/imbalance_real.py /work/data/fontglyphs_imb /work/data/elpv --seeds 0
    # writes benchmarks/results/imbalance_real.csv and .md"""
import argparse, json, time
from pathlib import Path
import numpy as np, pandas as pd
from image_classification.all import *
from image_classification.bench import _md  # a markdown table without tabulate
from image_classification.core import accuracy, balanced_accuracy, macro_f1

OPTIONS = ('none', 'balanced', 'sample', 'tempered', 'logit_adjust')

def score(probs, y)->dict: return dict(accuracy=accuracy(probs, y), balanced_accuracy=balanced_accuracy(probs, y), macro_f1=macro_f1(probs, y))

def one(data:Path, cw:str, seed:int, work:Path)->list[dict]:
    table = read_table(data/'train.csv')
    table = split_table(table, 'column') if 'split' in table else split_table(table, 'stratified', seed=0)
    test = read_table(data/'test.csv')
    t0 = time.time()
    run = train(TrainConfig(class_weights=cw, seed=seed), table, out=work/f'{data.name}_{cw}_{seed}', quiet=True)
    p = predict_probs(run.folder, test.drop(columns='label'), progress=False)
    y = np.array([run.meta['classes'].index(l) for l in test['label']])
    base = dict(data=data.name, class_weights=cw, seed=seed, seconds=round(time.time() - t0, 1), valid_balanced_accuracy=run.meta['metrics']['balanced_accuracy'])
    rows = [dict(base, prediction='as trained', **score(p, y))]
    if cw == 'logit_adjust':  # the same model, predictions corrected by the training prior
        prior = np.exp(log_prior(table).numpy())
        rows.append(dict(base, prediction='x class prior', **score(p * prior, y)))
    return rows

def main():
    a = argparse.ArgumentParser(); a.add_argument('data', nargs='+'); a.add_argument('--seeds', default='0'); a.add_argument('--work', default='/tmp/imgclf_imbalance_real')
    a.add_argument('--options', default=','.join(OPTIONS)); args = a.parse_args()
    out, rows = Path(__file__).resolve().parent/'results', []
    for d in args.data:
        for seed in map(int, args.seeds.split(',')):
            for cw in args.options.split(','):
                rows += one(Path(d), cw, seed, Path(args.work))
                print(json.dumps(rows[-1]), flush=True)
                df = pd.DataFrame(rows)
                df.to_csv(out/'imbalance_real.csv', index=False)
    cols = ['accuracy', 'balanced_accuracy', 'macro_f1', 'valid_balanced_accuracy', 'seconds']
    md = df.groupby(['data', 'class_weights', 'prediction'], sort=False)[cols].mean().round(4).reset_index()
    (out/'imbalance_real.md').write_text(_md(md, '{:.4f}') + '\n')
    print(md.to_string(index=False))

if __name__ == '__main__': main()
