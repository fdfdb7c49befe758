"""Dataset D (small check), `textures`: grey texture crops from scikit-image's sample images (brick, grass, gravel,
moon surface; 512x512 8-bit grayscale each), 4 classes, 60 crops per class, SIZE px (default 96).

This is the kind of set the issue "Real data, honest defaults" reports a misfire on (240 grey texture crops in 4
classes: a pretrained tf_efficientnet_lite0 0.708 on validation against simple_cnn's 1.000). It is here to check that
an architecture rule set on `elpv` (few large grayscale scans) does not lose on it.

Split by region, so no test crop overlaps a training crop: crops for train/valid come from the top 352 rows of each
image, test crops from the bottom 160 rows (seeded random positions; 45 train+valid and 15 test per class, valid = 9
of the 45).

    python benchmarks/realdata/build_textures.py --out /work/data/textures [--size 96]"""
import argparse
from pathlib import Path

import numpy as np, pandas as pd
from PIL import Image
import skimage.data

CLASSES = ['brick', 'grass', 'gravel', 'moon']
CUT = 352  # rows above: train/valid crops; rows below: test crops

def crops(img:np.ndarray, rows:tuple[int, int], n:int, size:int, rng)->list[np.ndarray]:
    ys = rng.integers(rows[0], rows[1] - size + 1, n); xs = rng.integers(0, img.shape[1] - size + 1, n)
    return [img[y:y + size, x:x + size] for y, x in zip(ys, xs)]

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--size', type=int, default=96)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    (a.out/'images').mkdir(parents=True, exist_ok=True)
    rows = []
    for c in CLASSES:
        img = getattr(skimage.data, c)()
        parts = [('train', crops(img, (0, CUT), 45, a.size, rng)), ('test', crops(img, (CUT, img.shape[0]), 15, a.size, rng))]
        for part, ims in parts:
            for i, im in enumerate(ims):
                p = f'images/{c}_{part}_{i:02d}.png'
                Image.fromarray(im).save(a.out/p)
                rows.append(dict(path=p, label=c, split='valid' if part == 'train' and i < 9 else part))
    df = pd.DataFrame(rows)
    df[df.split != 'test'].to_csv(a.out/'train.csv', index=False)
    df[df.split == 'test'][['path', 'label']].to_csv(a.out/'test.csv', index=False)
    print(pd.crosstab(df.label, df.split).to_string())
    print(f"wrote {len(df)} crops of {a.size} px to {a.out}")

if __name__ == '__main__': main()
