"""Baselines on a real-data folder (train.csv path,label,split + test.csv path,label), scored on the TEST split:

  svc     SVC() (scikit-learn defaults: RBF, C=1, gamma='scale') on raw pixels / 255
  knn     KNeighborsClassifier(n_neighbors=1) on raw pixels / 255: the nearest training image's label (strong where test
          images have near-copies in training)
  hog     LogisticRegression(max_iter=3000) on standardised HOG features (scikit-image: 9 orientations, 8-px cells for
          32-px images / 16-px cells for 64-px ones, 2x2 blocks; colour images: HOG over the channels)
  fastai  what a newcomer writes: ImageDataLoaders.from_df (valid = the `valid` rows), Resize(native size),
          aug_transforms() (fastai's defaults, flips included), vision_learner(resnet18, pretrained=False) -- no weights
          can be downloaded here --, lr_find's valley, fine_tune(5) (1 frozen + 5 epochs), on the CPU

  majority  the commonest class of train.csv, for scale

The classical models fit on all of train.csv (train + valid rows). Rows go to benchmarks/results/realdata_baselines.csv
and .md (a rerun replaces a dataset's row for that method).

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/realdata/baselines.py /work/data/fontglyphs [--methods svc knn hog fastai]"""
import argparse, os, sys, time
from pathlib import Path

import numpy as np, pandas as pd
from PIL import Image
from sklearn.metrics import accuracy_score, balanced_accuracy_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import results

def load(root:Path, csv:str):
    df = pd.read_csv(root/csv, dtype=str)
    ims = [np.asarray(Image.open(root/p)) for p in df['path']]
    return np.stack(ims).astype(np.float32) / 255, df

def hog_features(X:np.ndarray)->np.ndarray:
    from skimage.feature import hog
    cell = 8 if X.shape[1] <= 32 else 16
    kw = dict(orientations=9, pixels_per_cell=(cell, cell), cells_per_block=(2, 2))
    if X.ndim == 4: kw['channel_axis'] = -1
    return np.stack([hog(x, **kw) for x in X])

def fastai_baseline(root:Path, size:int, epochs:int=5, arch:str='resnet18', flip:bool=True):
    import torch
    from fastai.vision.all import ImageDataLoaders, Resize, aug_transforms, vision_learner, accuracy, resnet18, resnet34
    torch.manual_seed(0)
    df = pd.read_csv(root/'train.csv', dtype=str)
    df['is_valid'] = df['split'] == 'valid'
    dls = ImageDataLoaders.from_df(df, root, fn_col='path', label_col='label', valid_col='is_valid',
                                   item_tfms=Resize(size), batch_tfms=aug_transforms(do_flip=flip), bs=64, num_workers=0)
    learn = vision_learner(dls, {'resnet18': resnet18, 'resnet34': resnet34}[arch], pretrained=False, metrics=accuracy)
    with learn.no_bar(), learn.no_logging():
        lr = learn.lr_find(show_plot=False).valley
        learn.fine_tune(epochs, lr)
    test = pd.read_csv(root/'test.csv', dtype=str)
    dl = dls.test_dl([root/p for p in test['path']])
    with learn.no_bar():
        probs = learn.get_preds(dl=dl)[0]
    pred = np.array(dls.vocab)[probs.argmax(1).numpy()]
    aug = 'aug_transforms()' if flip else 'aug_transforms(do_flip=False)'
    return pred, f"plain fastai: vision_learner({arch}, pretrained=False), {aug}, lr_find valley ({lr:.1e}), fine_tune({epochs}) at {size} px"

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('root', type=Path)
    ap.add_argument('--methods', nargs='+', default=['svc', 'knn', 'hog', 'fastai'])
    ap.add_argument('--name', default=None, help="dataset name in the results (default: the folder's name)")
    ap.add_argument('--epochs', type=int, default=5)
    ap.add_argument('--arch', default='resnet18')
    ap.add_argument('--no-flip', action='store_true', help="fastai: aug_transforms(do_flip=False) (a check, not the newcomer's default)")
    a = ap.parse_args()
    name = a.name or a.root.name
    t0 = time.time()
    Xtr, tr = load(a.root, 'train.csv'); Xte, te = load(a.root, 'test.csv')
    t_load = time.time() - t0
    size = Xtr.shape[1]
    print(f"{name}: {len(tr)} train.csv rows ({(tr.split == 'valid').sum()} valid), {len(te)} test rows, {Xtr.shape[1:]} px; "
          f"loaded in {t_load:.0f}s")
    ytr, yte = tr['label'].to_numpy(), te['label'].to_numpy()
    for m in a.methods:
        l0, t0 = os.getloadavg()[0], time.time()
        if m == 'majority':
            pred = np.full(len(yte), pd.Series(ytr).value_counts().index[0])
            method = 'majority class of train.csv'
        elif m == 'svc':
            from sklearn.svm import SVC
            pred = SVC().fit(Xtr.reshape(len(Xtr), -1), ytr).predict(Xte.reshape(len(Xte), -1))
            method = 'SVC() on raw pixels'
        elif m == 'knn':
            from sklearn.neighbors import KNeighborsClassifier
            pred = KNeighborsClassifier(n_neighbors=1).fit(Xtr.reshape(len(Xtr), -1), ytr).predict(Xte.reshape(len(Xte), -1))
            method = '1-nearest neighbour on raw pixels'
        elif m == 'hog':
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler
            Htr, Hte = hog_features(Xtr), hog_features(Xte)
            pred = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(Htr, ytr).predict(Hte)
            method = f'LogReg on HOG ({Htr.shape[1]} features)'
        elif m == 'fastai':
            pred, method = fastai_baseline(a.root, size, a.epochs, a.arch, flip=not a.no_flip)
        else: raise SystemExit(f'unknown method {m}')
        secs = time.time() - t0 + (t_load if m != 'fastai' else 0)
        row = dict(dataset=name, method=method, accuracy=accuracy_score(yte, pred), balanced_accuracy=balanced_accuracy_score(yte, pred),
                   seconds=secs, load_start=l0, load_end=os.getloadavg()[0], n_train=len(tr), n_test=len(te))
        print(f"{method}: accuracy {row['accuracy']:.4f}, balanced accuracy {row['balanced_accuracy']:.4f}, {secs:.0f}s "
              f"(load {l0:.1f} -> {row['load_end']:.1f})", flush=True)
        results.record([row])

if __name__ == '__main__': main()
