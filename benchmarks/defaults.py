"""Good defaults (issue 9): plain fastai as a new user runs it, a classical baseline, `imgclf train` with no options
and `imgclf auto --budget 10m`, on sklearn's digits (stratified 80/20, random_state=0, scored on the 20% that no stage
saw) and on the embedded icons (scored on their held-back test split).

    python benchmarks/defaults.py [--data digits icons] [--budget 10m] [--skip-plain]

Writes benchmarks/results/defaults_<data>.csv and .md. Wall times are this machine's (see the .md header)."""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path

import numpy as np, pandas as pd
from PIL import Image
from sklearn.metrics import accuracy_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.svm import SVC

HERE = Path(__file__).resolve().parent
OUT = HERE/'results'
IMGCLF = str(Path(sys.executable).with_name('imgclf'))

def digits_data(work:Path):
    "train.csv (80%) and test.csv (20%) of path,label over the digits PNGs"
    from sklearn.datasets import load_digits
    from image_classification.datasets import make_digits
    from image_classification.data import read_table
    root = make_digits(work/'digits')
    t = read_table(root)
    t['idx'] = t['path'].map(lambda p: int(Path(p).stem))
    y = load_digits().target
    tr, te = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y, random_state=0)
    t = t.set_index('idx')
    for name, ids in (('train', tr), ('test', te)): t.loc[ids, ['path', 'label']].to_csv(root/f'{name}.csv', index=False)
    return root/'train.csv', root/'test.csv'

def icons_data(work:Path):
    "train.csv (the labelled icons) and test.csv (their held-back test split)"
    from image_classification.datasets import make_icons
    from image_classification.data import read_table
    root = make_icons(work/'icons', n_per_class=120, test_per_class=20, seed=0)
    t = read_table(root)
    test_dir = Path(f'{root}_test')
    test = pd.read_csv(test_dir/'labels.csv', dtype=str).rename(columns={'image_path': 'path'})
    test[['path', 'label']].to_csv(test_dir/'test.csv', index=False)
    t[['path', 'label']].to_csv(root/'train.csv', index=False)
    return root/'train.csv', test_dir/'test.csv'

def pixels(csv:Path, size:int|None=None):
    df = pd.read_csv(csv, dtype=str)
    X = []
    for p in df['path']:
        im = Image.open(csv.parent/p).convert('L')
        if size: im = im.resize((size, size))
        X.append(np.asarray(im, dtype=np.float32).ravel() / 255 * 16)
    return np.stack(X), df['label'].to_numpy()

def svc(train_csv, test_csv):
    t0 = time.time()
    Xtr, ytr = pixels(train_csv); Xte, yte = pixels(test_csv)
    pred = SVC(gamma=0.001).fit(Xtr, ytr).predict(Xte)
    return dict(method='SVC(gamma=0.001), raw pixels', accuracy=accuracy_score(yte, pred),
                balanced_accuracy=balanced_accuracy_score(yte, pred), seconds=time.time() - t0)

def plain_fastai(train_csv, test_csv, arch:str, size:int, epochs:int):
    "What a new user writes: ImageDataLoaders.from_df, vision_learner or a timm model, lr_find's valley, fine_tune"
    from fastai.vision.all import ImageDataLoaders, Resize, aug_transforms, vision_learner, Learner, accuracy, resnet34
    from image_classification.models import create_arch, split_params
    t0 = time.time()
    df = pd.read_csv(train_csv, dtype=str)
    dls = ImageDataLoaders.from_df(df, train_csv.parent, fn_col='path', label_col='label', valid_pct=0.2, seed=42,
                                   item_tfms=Resize(size), batch_tfms=aug_transforms(), bs=64, num_workers=0)
    if arch == 'resnet34': learn = vision_learner(dls, resnet34, pretrained=False, metrics=accuracy)
    else: learn = Learner(dls, create_arch(arch, len(dls.vocab), pretrained=True), splitter=split_params, metrics=accuracy)
    learn.remove_cb(learn.progress) if hasattr(learn, 'progress') else None
    with learn.no_logging(): lr = learn.lr_find(show_plot=False).valley
    with learn.no_logging(): learn.fine_tune(epochs, lr, freeze_epochs=1)
    test = pd.read_csv(test_csv, dtype=str)
    dl = dls.test_dl([test_csv.parent/p for p in test['path']])
    pred = np.array(dls.vocab)[learn.get_preds(dl=dl)[0].argmax(1).numpy()]
    name = f"plain fastai: {'vision_learner(resnet34, pretrained=False)' if arch == 'resnet34' else arch + ' (offline ImageNet weights)'}, lr_find valley, fine_tune({epochs}, freeze_epochs=1) at {size} px"
    return dict(method=name, accuracy=accuracy_score(test['label'], pred),
                balanced_accuracy=balanced_accuracy_score(test['label'], pred), seconds=time.time() - t0)

def score_submission(sub:Path, test_csv:Path)->tuple[float, float]:
    pred, test = pd.read_csv(sub, dtype=str), pd.read_csv(test_csv, dtype=str)
    assert len(pred) == len(test)
    return accuracy_score(test['label'], pred['label']), balanced_accuracy_score(test['label'], pred['label'])

def kit(cmd:list, test_csv:Path, out:Path, method:str):
    t0 = time.time()
    r = subprocess.run([IMGCLF, *map(str, cmd), '--quiet'], capture_output=True, text=True)
    secs = time.time() - t0
    if r.returncode: raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    print(r.stdout[-2500:])
    sub = out/'submission.csv'
    if not sub.exists():
        p = subprocess.run([IMGCLF, 'predict', str(out), str(test_csv), '--out', str(sub), '--quiet'], capture_output=True, text=True)
        if p.returncode: raise SystemExit(p.stderr[-2000:])
    acc, bacc = score_submission(sub, test_csv)
    return dict(method=method, accuracy=acc, balanced_accuracy=bacc, seconds=secs)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', nargs='+', default=['digits', 'icons'])
    ap.add_argument('--budget', default='10m')
    ap.add_argument('--work', default='/tmp/imgclf_defaults')
    ap.add_argument('--skip-plain', action='store_true', help="skip the (slow) plain-fastai rows")
    ap.add_argument('--only', nargs='*', default=None, help="rows to run: svc plain train auto")
    a = ap.parse_args()
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(exist_ok=True)
    import torch, fastai
    for data in a.data:
        load0 = os.getloadavg()[0]
        train_csv, test_csv = (digits_data if data == 'digits' else icons_data)(work)
        only = set(a.only or ['svc', 'plain', 'train', 'auto'])
        rows = []
        if 'svc' in only: rows.append(svc(train_csv, test_csv)); print(rows[-1])
        if 'plain' in only and not a.skip_plain:
            rows.append(plain_fastai(train_csv, test_csv, 'resnet34', 32, 8)); print(rows[-1])
            rows.append(plain_fastai(train_csv, test_csv, 'tf_efficientnet_lite0', 64, 5)); print(rows[-1])
        if 'train' in only:
            out = work/f'{data}_train'
            rows.append(kit(['train', train_csv, '--out', out], test_csv, out, '`imgclf train` with no options')); print(rows[-1])
        if 'auto' in only:
            out = work/f'{data}_auto'
            rows.append(kit(['auto', train_csv, '--budget', a.budget, '--out', out, '--test', test_csv], test_csv, out,
                            f'`imgclf auto --budget {a.budget}`')); print(rows[-1])
        df = pd.DataFrame(rows)
        prev = OUT/f'defaults_{data}.csv'
        if a.only and prev.exists():  # re-running some rows: keep the others
            old = pd.read_csv(prev)
            df = pd.concat([old[~old['method'].isin(df['method'])], df]).reset_index(drop=True)
        df.to_csv(prev, index=False)
        head = (f"{data}: machine {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
                f"fastai {fastai.__version__}; measured {time.strftime('%Y-%m-%d')}, load average {load0:.1f} at the start, "
                f"{os.getloadavg()[0]:.1f} at the end\n\n")
        lines = ['| method | accuracy | balanced accuracy | seconds |', '|---|---|---|---|']
        lines += [f"| {r.method} | {r.accuracy:.4f} | {r.balanced_accuracy:.4f} | {r.seconds:.0f} |" for r in df.itertuples()]
        (OUT/f'defaults_{data}.md').write_text(head + '\n'.join(lines) + '\n')
        print((OUT/f'defaults_{data}.md').read_text())

if __name__ == '__main__': main()
