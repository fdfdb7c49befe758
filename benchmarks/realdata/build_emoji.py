"""Dataset E, `emoji`: small grayscale pictographs in 9 semantic classes drawn by three independent designs (Noto, EmojiOne,
Symbola), from Debian packages -- the closest thing to the outside check's task (small grayscale pictures classified by
what they mean, many styles, natural imbalance) that the project may build: **emoji, not icons** (no icon theme and no
icon font was installed or read).

    apt-get install -y --no-install-recommends unicode-data ruby-tanuki-emoji ruby-gemojione fonts-symbola
    python benchmarks/realdata/build_emoji.py --out /work/data/emoji [--size 32] [--seed 0]

Sources (each emoji of Unicode 15's emoji-test.txt that a source draws):

    noto      ruby-tanuki-emoji 0.6.0: GitLab's copy of Google's Noto Color Emoji, 72-px PNGs (emoji_u1f414.png, AC.png)
    emojione  ruby-gemojione 3.3.0: EmojiOne 3, 64-px PNGs (1F414.png)
    symbola   fonts-symbola 2.60: George Douros's monochrome outline font (single code points only), rendered with FreeType

Labels: the emoji's group in /usr/share/unicode/emoji/emoji-test.txt (unicode-data 15.0), the `Component` group left out:
smileys, people, animals, food, travel, activities, objects, symbols, flags. Fully-qualified sequences only; skin-tone
variants (U+1F3FB-1F3FF) are left out (in grayscale they are near copies of their base emoji).

Split by DESIGN FAMILY, not by image: an emoji and its gender / hair / person variants (man cook, woman cook, cook) form
one group, and all its images in all three styles stay on one side; groups are dealt per class, seeded: 25% test, 15%
valid, the rest train. So test emoji are unseen in train: the task is to tell what an unseen pictograph means.

`--split drawing` (the `emoji_seen` variant) deals (emoji, source) drawings instead, at random per class with the same
shares: an emoji drawn in one style can be in train and in another style in test, and every image of one drawing stays
on one side. The outside check's split is not known; its SVC's 0.80 on pixels suggests test images close to training
ones (icon themes draw one icon in several sizes and themes copy each other), which this variant is closer to.

`--split size` (the `emoji_sizes` variant) goes further, to the way an icon theme is made into a dataset: each drawing
is drawn once at each of the sizes 16, 24, 32 and 48 px (`--draw-sizes`), centred and filling 90% of its square, on
white (the drawing composited) or black (its alpha channel dropped, as `Image.convert('L')` does with transparent
pixels) at random, then brought to `--size` with Lanczos; every (drawing, size) image is dealt on its own (images
that come out identical, such as two flags that differ only in colour, as one), so the test split holds near-copies of
training images (the same drawing at another size).

`--imbalance R` (the `emoji_sizes_imb` variant, with `--split size`) makes the outside check's class profile: 8 classes
(the smallest, activities, left out) with geometric frequencies from R x down to 1, the classes with the most drawings
the commonest (the largest set the ratio allows), kept as whole drawings (seeded; all sizes of a kept drawing stay); test keeps the
natural (imbalanced) frequencies, as the outside check's does.

Images: each (emoji, source) drawing is cropped to its ink, scaled to 70-100% of the canvas, placed at random in the free
margin on a grey background (light 200-255 in 70% of images, dark 0-60 otherwise), converted to grayscale at 4x the size
and reduced with Lanczos. Train drawings are rendered 4 times, valid and test drawings twice (different placements).
Output: OUT/images/*.png; OUT/train.csv path,label,split; OUT/test.csv path,label; OUT/meta.csv (emoji, name, source,
group, subgroup).
"""
import argparse, hashlib, re, time
from pathlib import Path

import sys
import numpy as np, pandas as pd
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deal import deal_groups

TEST = Path('/usr/share/unicode/emoji/emoji-test.txt')
GEMS = Path('/usr/share/rubygems-integration/all/gems')
NOTO = GEMS/'tanuki_emoji-0.6.0/app/assets/images/tanuki_emoji'
E1 = GEMS/'gemojione-3.3.0/assets/png'
SYMBOLA = Path('/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf')
GROUPS = {'Smileys & Emotion': 'smileys', 'People & Body': 'people', 'Animals & Nature': 'animals', 'Food & Drink': 'food',
          'Travel & Places': 'travel', 'Activities': 'activities', 'Objects': 'objects', 'Symbols': 'symbols', 'Flags': 'flags'}
PERSON = {0x1F9D1, 0x1F468, 0x1F469, 0x200D, 0xFE0F, 0x2640, 0x2642, 0x1F9B0, 0x1F9B1, 0x1F9B2, 0x1F9B3, 0x1F466, 0x1F467}
RENDERS = dict(train=4, valid=2, test=2)

def read_emoji(path:Path=TEST)->pd.DataFrame:
    rows, group, sub = [], None, None
    for line in path.read_text(encoding='utf-8').splitlines():
        if line.startswith('# group:'): group = line.split(':', 1)[1].strip()
        elif line.startswith('# subgroup:'): sub = line.split(':', 1)[1].strip()
        elif line and not line.startswith('#'):
            cps, rest = line.split(';', 1)
            if rest.split('#')[0].strip() != 'fully-qualified' or group not in GROUPS: continue
            cps = [int(c, 16) for c in cps.split()]
            if any(0x1F3FB <= c <= 0x1F3FF for c in cps): continue
            name = re.sub(r'^\S+\s+E\d+\.\d+\s+', '', rest.split('#', 1)[1].strip())
            rows.append(dict(cps=tuple(cps), name=name, group=group, subgroup=sub, label=GROUPS[group]))
    return pd.DataFrame(rows)

def family(cps:tuple)->tuple:
    "An emoji's design family: its code points without person, gender, hair and joiner code points"
    k = tuple(c for c in cps if c not in PERSON)
    return k or tuple(c for c in cps if c not in (0x200D, 0xFE0F))

def noto_file(cps:tuple):
    if all(0x1F1E6 <= c <= 0x1F1FF for c in cps) and len(cps) == 2:
        p = NOTO/(''.join(chr(ord('A') + c - 0x1F1E6) for c in cps) + '.png')
        return p if p.exists() else None
    for cs in (cps, tuple(c for c in cps if c != 0xFE0F)):
        p = NOTO/('emoji_u' + '_'.join(f'{c:04x}' for c in cs) + '.png')
        if p.exists(): return p

def emojione_file(cps:tuple):
    for cs in (cps, tuple(c for c in cps if c != 0xFE0F)):
        p = E1/('-'.join(f'{c:04X}' for c in cs) + '.png')
        if p.exists(): return p

def symbola_cp(cps:tuple, cmap:set):
    cs = [c for c in cps if c != 0xFE0F]
    return cs[0] if len(cs) == 1 and cs[0] in cmap else None

def ink(im:Image.Image)->Image.Image:
    "The drawing cropped to its visible pixels, RGBA"
    im = im.convert('RGBA')
    box = im.getchannel('A').point(lambda v: 255 if v > 8 else 0).getbbox()
    return im.crop(box) if box else im

def draw_symbola(cp:int, font)->Image.Image:
    im = Image.new('RGBA', (256, 256), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((128, 128), chr(cp), font=font, fill=(0, 0, 0, 255), anchor='mm')
    return ink(im)

def place(src:Image.Image, size:int, rng)->Image.Image:
    big = 4 * size
    light = rng.random() < 0.7
    bg = int(rng.integers(200, 256) if light else rng.integers(0, 61))
    canvas = Image.new('RGBA', (big, big), (bg, bg, bg, 255))
    w, h = src.size
    s = rng.uniform(0.7, 1.0) * big / max(w, h)
    im = src.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
    x, y = int(rng.integers(0, big - im.width + 1)), int(rng.integers(0, big - im.height + 1))
    if not light and src.getchannel('R').getextrema()[1] == 0:  # a black outline font on a dark background: draw it light
        im = Image.merge('RGBA', [Image.new('L', im.size, 255 - int(rng.integers(0, 40)))] * 3 + [im.getchannel('A')])
    canvas.alpha_composite(im, (x, y))
    return canvas.convert('L').resize((size, size), Image.LANCZOS)

def centred(src:Image.Image, s:int, size:int, rng)->Image.Image:
    "`src` drawn at `s` px (90% of an s x s square, centred) on white or black, brought to `size` px"
    w, h = src.size
    k = 0.9 * s / max(w, h)
    im = src.resize((max(1, round(w * k)), max(1, round(h * k))), Image.LANCZOS)
    white = rng.random() < 0.5
    canvas = Image.new('RGBA', (s, s), (255, 255, 255, 255) if white else (0, 0, 0, 0))
    canvas.alpha_composite(im, ((s - im.width) // 2, (s - im.height) // 2))
    if not white: canvas = Image.merge('RGB', canvas.split()[:3])  # alpha dropped: transparent pixels are black
    if not white and src.getchannel('R').getextrema()[1] == 0:  # black outline font on black: draw its ink light
        canvas = Image.new('L', (s, s), 0); canvas.paste(255, ((s - im.width) // 2, (s - im.height) // 2), im.getchannel('A'))
    return canvas.convert('L').resize((size, size), Image.LANCZOS)

def imbalanced(df:pd.DataFrame, ratio:float, rng, drop:str='activities')->pd.DataFrame:
    "Whole drawings of 8 classes (`drop` left out) kept at geometric frequencies, the commonest `ratio` x the rarest"
    df = df[df.label != drop]
    n = df.groupby('label').size()
    classes = sorted(n.index, key=lambda c: (-n[c], c))  # the most drawn class the commonest: the largest set the ratio allows
    want = {c: ratio ** ((len(classes) - 1 - i) / (len(classes) - 1)) for i, c in enumerate(classes)}
    scale = min(n[c] / want[c] for c in classes)
    keep = [np.sort(rng.choice(np.flatnonzero(df.label.values == c), int(round(want[c] * scale)), replace=False)) for c in classes]
    return df.iloc[np.sort(np.concatenate(keep))].reset_index(drop=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--size', type=int, default=32)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--split', choices=['family', 'drawing', 'size'], default='family',
                    help="deal design families (default), single drawings, or single images of drawings drawn at several sizes")
    ap.add_argument('--imbalance', type=float, default=None, help="keep 8 classes at geometric frequencies, the commonest this many times the rarest")
    ap.add_argument('--draw-sizes', default='16,24,32,48', help="with --split size: the sizes each drawing is drawn at")
    a = ap.parse_args()
    t0 = time.time()
    for p in (TEST, NOTO, E1, SYMBOLA):
        if not p.exists(): raise SystemExit(f"{p} missing: apt-get install -y --no-install-recommends unicode-data ruby-tanuki-emoji ruby-gemojione fonts-symbola")
    em = read_emoji()
    font = ImageFont.truetype(str(SYMBOLA), 200)
    from fontTools.ttLib import TTFont
    cmap = set(TTFont(str(SYMBOLA)).getBestCmap())
    rows = []
    for r in em.itertuples():
        for src, f in (('noto', noto_file(r.cps)), ('emojione', emojione_file(r.cps))):
            if f is not None: rows.append(dict(emoji=r.cps, source=src, file=str(f)))
        cp = symbola_cp(r.cps, cmap)
        if cp is not None: rows.append(dict(emoji=r.cps, source='symbola', file=f'U+{cp:04X}'))
    df = pd.DataFrame(rows).merge(em.rename(columns={'cps': 'emoji'}), on='emoji')
    df['family'] = df.emoji.map(family)
    rng = np.random.default_rng(a.seed)
    if a.imbalance: df = imbalanced(df, a.imbalance, np.random.default_rng([a.seed, 1]))
    if a.split == 'drawing': df['family'] = [(*e, s) for e, s in zip(df.emoji, df.source)]  # each drawing its own group
    if a.split == 'size': df = df.merge(pd.DataFrame(dict(px=[int(v) for v in a.draw_sizes.split(',')])), how='cross')
    (a.out/'images').mkdir(parents=True, exist_ok=True)
    if a.split == 'size':  # drawn first: two drawings that come out pixel-identical (a flag and its territory's) are one group
        ims = [centred(draw_symbola(int(r.file[2:], 16), font) if r.source == 'symbola' else ink(Image.open(r.file)), r.px, a.size, rng)
               for r in df.itertuples()]
        df['family'] = [hashlib.sha256(im.tobytes()).hexdigest() for im in ims]
    split = deal_groups(df.groupby('family').label.first(), GROUPS.values(), rng, key=None if a.split == 'family' else str)  # (a drawing's key ends in its source's name)
    df['split'] = df.family.map(split)
    out = []
    for i, r in enumerate(df.itertuples()):
        hexs = '_'.join(f'{c:04x}' for c in r.emoji)
        if a.split == 'size': src = None
        else: src = draw_symbola(int(r.file[2:], 16), font) if r.source == 'symbola' else ink(Image.open(r.file))
        for k in range(1 if a.split == 'size' else RENDERS[r.split]):
            p = f"images/{r.source}_{hexs}_{r.px}px.png" if a.split == 'size' else f"images/{r.source}_{hexs}_{k}.png"
            (ims[i] if a.split == 'size' else place(src, a.size, rng)).save(a.out/p)
            out.append(dict(path=p, label=r.label, split=r.split, emoji=''.join(map(chr, r.emoji)), name=r.name,
                            source=r.source, group=r.group, subgroup=r.subgroup, family=r.family if isinstance(r.family, str) else '_'.join(f'{c:x}' if isinstance(c, int) else c for c in r.family)))
    out = pd.DataFrame(out)
    out.to_csv(a.out/'meta.csv', index=False)
    out[out.split != 'test'][['path', 'label', 'split']].to_csv(a.out/'train.csv', index=False)
    out[out.split == 'test'][['path', 'label']].to_csv(a.out/'test.csv', index=False)
    tab = pd.crosstab(out.label, out.split)[['train', 'valid', 'test']]
    print(tab.to_string())
    print('drawings by source:', df.source.value_counts().to_dict(), f"; emoji: {df.emoji.nunique()} of {len(em)}; families: {df.family.nunique()}")
    print(f"imbalance (train): {tab['train'].max() / tab['train'].min():.1f}x; digest "
          f"{hashlib.sha256(pd.util.hash_pandas_object(out[['path', 'label', 'split']]).values.tobytes()).hexdigest()[:16]}")
    print(f"wrote {len(out)} images to {a.out} in {time.time() - t0:.0f}s")

if __name__ == '__main__': main()
