"""Dataset C (extra), `elpv`: electroluminescence scans of solar cells, from PyPI's elpv-dataset (the ELPV data set of
Buerhop-Lutz et al. / Deitsch et al., 2,624 cells of 300x300 px, 8-bit grayscale, cut from 44 solar modules; licence
CC BY-NC-SA 4.0, see the wheel's LICENSE.md), labelled by the experts' defect probability:

    functional 0.0 (1,508)   possibly_defective 1/3 (295)   likely_defective 2/3 (106)   defective 1.0 (715)

so four classes, 14x imbalanced, with real label noise (the middle classes are the experts' doubt).

    pip download --no-deps elpv-dataset==1.0.0.post1 -d /work/data/pip     # the wheel is read as a zip, not installed
    python benchmarks/realdata/build_elpv.py --out /work/data/elpv [--wheel /work/data/pip/elpv_dataset-1.0.0.post1-py3-none-any.whl] [--size 128]

Split: stratified by label x cell type (mono/poly), seeded: 25% test, 15% valid, the rest train. The release does not
say which module a cell came from, so cells of one module can fall on both sides (a known limit of this data set).
Images are resized to SIZExSIZE (Lanczos; default 128 since 2026-12-01: at 64 px the thin cracks that separate the
classes are gone, and no model here beat an SVC on pixels; the 64-px results stay in benchmarks/results/elpv_variants.md). Output: OUT/images/cellNNNN.png, train.csv (path,label,split),
test.csv (path,label), meta.csv (path,label,split,probability,type)."""
import argparse, glob, io, subprocess, sys, tempfile, time, zipfile
from pathlib import Path

import numpy as np, pandas as pd
from PIL import Image

LABELS = {0.0: 'functional', 1 / 3: 'possibly_defective', 2 / 3: 'likely_defective', 1.0: 'defective'}

def find_wheel(w:Path|None)->Path:
    if w: return w
    found = sorted(glob.glob('/work/data/pip/elpv_dataset-*.whl'))
    if found: return Path(found[-1])
    d = tempfile.mkdtemp()
    subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', 'elpv-dataset==1.0.0.post1', '-d', d], check=True)
    return Path(glob.glob(d + '/elpv_dataset-*.whl')[0])

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--wheel', type=Path, default=None)
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    z = zipfile.ZipFile(find_wheel(a.wheel))
    lab = [l.split() for l in z.read('elpv_dataset/data/labels.csv').decode().strip().splitlines()]
    df = pd.DataFrame(lab, columns=['file', 'probability', 'type'])
    df['probability'] = df.probability.astype(float)
    df['label'] = df.probability.map(lambda p: min(LABELS.items(), key=lambda kv: abs(kv[0] - p))[1])
    rng = np.random.default_rng(a.seed)
    df['split'] = 'train'
    for _, g in df.groupby(['label', 'type']):
        idx = g.index.to_numpy()[rng.permutation(len(g))]
        nt, nv = int(round(0.25 * len(g))), int(round(0.15 * len(g)))
        df.loc[idx[:nt], 'split'] = 'test'; df.loc[idx[nt:nt + nv], 'split'] = 'valid'
    (a.out/'images').mkdir(parents=True, exist_ok=True)
    paths = []
    for f in df.file:
        im = Image.open(io.BytesIO(z.read('elpv_dataset/data/' + f))).convert('L').resize((a.size, a.size), Image.LANCZOS)
        p = 'images/' + Path(f).name
        im.save(a.out/p); paths.append(p)
    df.insert(0, 'path', paths)
    df.drop(columns=['file']).to_csv(a.out/'meta.csv', index=False)
    df[df.split != 'test'][['path', 'label', 'split']].to_csv(a.out/'train.csv', index=False)
    df[df.split == 'test'][['path', 'label']].to_csv(a.out/'test.csv', index=False)
    tab = pd.crosstab(df.label, df.split)[['train', 'valid', 'test']]
    print(tab.to_string())
    print(f"imbalance (train): {tab['train'].max() / tab['train'].min():.1f}x; wrote {len(df)} images to {a.out} in {time.time() - t0:.0f}s")

if __name__ == '__main__': main()
