"""A pretrained model's learning rate (issue 20, item 5): lr_find's valley (the kit's rule for pretrained models) against
a fixed peak rate (`BUDGET_LR`, 5e-3, which the runs that collapsed on elpv128 trained through), for pretrained tf_efficientnet_lite0 in one stage (what the
chooser picks on a CPU for images over 64 px) on the real sets built by `benchmarks/realdata/`, each scored on its
held-back test.csv (natural class distribution). The chooser sets everything else (epochs, batch, augmentation, ...).

    OMP_NUM_THREADS=1 python benchmarks/lr_pretrained.py textures:96 deepsky:64 elpv128:128 --seeds 0,1,2
    # rows are added to benchmarks/results/lr_pretrained.csv (a rerun of data x lr x seed replaces its row) and .md
    # (rows, then the means over the seeds that both rates ran)"""
import sys
from pathlib import Path
import pandas as pd
sys.path.insert(0, str(Path(__file__).resolve().parent))
from stage_lr import OUT, main  # one run a row: train with the chooser's other choices, predict test.csv, score
from image_classification.bench import _md

HEAD = ("# A pretrained model's learning rate: lr_find's valley ('find') or a fixed 5e-3\n\n"
        "`python benchmarks/lr_pretrained.py` (its docstring says how). Pretrained tf_efficientnet_lite0, one stage, the chooser's "
        "other choices; `stage_lrs` is the rate used (lr_find's valley for 'find'); valid_* on the train.csv valid split, test_* "
        "on the held-back test.csv; seconds include lr_find; 2-core CPU, one job at a time.\n\n")

def means(df:pd.DataFrame)->str:
    "Mean test scores and seconds per data x lr over the seeds every lr of that data ran"
    out = []
    for data, d in df.groupby('data', sort=False):
        seeds = set.intersection(*(set(g.seed) for _, g in d.groupby('lr')))
        d = d[d.seed.isin(seeds)]
        m = d.groupby('lr', sort=False)[['test_accuracy', 'test_balanced_accuracy', 'valid_best', 'seconds']].mean().reset_index()
        out.append(m.assign(data=data, seeds=','.join(map(str, sorted(seeds))), collapsed=d.groupby('lr', sort=False).apply(
            lambda g: int(g.warnings.fillna('').str.contains('for every validation image').sum())).values))
    m = pd.concat(out)[['data', 'lr', 'seeds', 'test_accuracy', 'test_balanced_accuracy', 'valid_best', 'seconds', 'collapsed']]
    return "## Means over seeds\n\n`collapsed`: runs whose model.json warn that an epoch answered one class for every validation image.\n\n" + _md(m, '{:.4f}')

def write_means():
    "Append the means over seeds to results/lr_pretrained.md"
    df = pd.read_csv(OUT/'lr_pretrained.csv', dtype={'sizes': str, 'lr': str})
    with open(OUT/'lr_pretrained.md', 'a') as f: f.write('\n' + means(df) + '\n')

if __name__ == '__main__': main('lr_pretrained', HEAD, ('find', '5e-3'), after=write_means)
