"""Dataset A, `fontglyphs`: 32-px grayscale letters rendered from real typefaces of Debian's fonts-* packages, with whole
typeface groups held out for valid and test.

    python benchmarks/realdata/build_fontglyphs.py --out /work/data/fontglyphs                       # balanced, 10 classes
    python benchmarks/realdata/build_fontglyphs.py --out /work/data/fontglyphs_imb --variant imbalanced  # 8 classes, 34x

Classes are letters, upper and lower case merged into one label (a/A -> 'a'), chosen to be confusable at 32 px:
balanced a b d e g h n o p q; imbalanced a b d e g h n q with geometric class frequencies, the commonest 34x the rarest
in every split (the order of frequencies is a seeded shuffle, not alphabetical). Each image: a family drawn (groups
weighted by sqrt(#families), then a family, then one of its real faces: weights, italics, widths), lower or upper case
at random, glyph height 55-85% of the canvas, random placement in the free margin, rotation ~N(0, 3 deg), ink 0-90 on
background 165-255, light Gaussian noise and sometimes blur.

Split: typeface GROUPS, not images. A group is a package (or a family, in packages of unrelated designs), merged with
known metric clones (Helvetica/Arial: Liberation Sans, Arimo, Nimbus Sans, TeX Gyre Heros, FreeSans, ...; Times;
Courier; Palatino; ...; Computer Modern: CMU and Latin Modern) and with any family whose regular face renders the
letters within 0.027 mean absolute difference (near-identical Latin designs, e.g. Hack ~ DejaVu Sans Mono, Carlito ~
Lato, the Thai TLWG fonts' Latin ~ URW). Groups are shuffled (seed) and dealt to test (~25% of the sampling weight),
valid (~15%) and train, so valid and test typefaces are unseen in train. Output:

    OUT/images/{train,valid,test}/NNNNN.png   32x32 grayscale PNG
    OUT/train.csv   path,label,split   (split: train / valid)   -> `imgclf train OUT/train.csv`
    OUT/test.csv    path,label
    OUT/meta.csv    path,label,split,char,package,family,style,group   (what made each image)
    OUT/fonts.csv   package,family,group,split,faces   (the typeface catalogue that was used)

Needs (Debian 12; fonts-dejavu-core is usually there already):

    apt-get install -y fonts-dejavu fonts-liberation fonts-liberation2 fonts-noto-core fonts-noto-mono \\
      fonts-freefont-ttf fonts-urw-base35 fonts-texgyre fonts-crosextra-caladea fonts-crosextra-carlito fonts-croscore \\
      fonts-linuxlibertine fonts-ebgaramond fonts-cantarell fonts-roboto-unhinted fonts-roboto-slab fonts-open-sans \\
      fonts-lato fonts-inconsolata fonts-firacode fonts-hack fonts-jetbrains-mono fonts-cmu fonts-lmodern \\
      fonts-adf-accanthis fonts-adf-baskervald fonts-adf-berenis fonts-adf-gillius fonts-adf-ikarius fonts-adf-irianis \\
      fonts-adf-libris fonts-adf-mekanus fonts-adf-oldania fonts-adf-romande fonts-adf-solothurn fonts-adf-switzera \\
      fonts-adf-tribun fonts-adf-universalis fonts-adf-verana fonts-sil-gentiumplus fonts-sil-charis fonts-sil-doulos \\
      fonts-sil-andika fonts-sil-gentium-basic fonts-go fonts-inter fonts-cabin fonts-comfortaa fonts-comic-neue \\
      fonts-courier-prime fonts-dosis fonts-junicode fonts-karla fonts-lobster fonts-lobstertwo fonts-oldstandard \\
      fonts-quattrocento fonts-quicksand fonts-vollkorn fonts-yanone-kaffeesatz fonts-stix fonts-tuffy fonts-b612 \\
      fonts-anonymous-pro fonts-fantasque-sans fonts-hermit fonts-agave fonts-league-spartan fonts-manrope fonts-sora \\
      fonts-play fonts-clear-sans fonts-paratype fonts-humor-sans fonts-dancingscript fonts-kaushanscript fonts-kristi \\
      fonts-breip fonts-femkeklaver fonts-dkg-handwriting fonts-sjfonts fonts-thai-tlwg-ttf fonts-arkpandora \\
      fonts-averia-gwf fonts-averia-sans-gwf fonts-averia-serif-gwf fonts-beteckna fonts-cardo fonts-century-catalogue \\
      fonts-elstob fonts-fanwood fonts-goudybookletter fonts-junction fonts-lindenhill fonts-prociono fonts-opendin \\
      fonts-opendyslexic fonts-osifont fonts-routed-gothic fonts-bebas-neue fonts-ocr-a fonts-ocr-b fonts-3270 \\
      fonts-gnutypewriter fonts-mononoki fonts-monofur fonts-league-mono fonts-gfs-neohellenic fonts-gfs-didot \\
      fonts-isabella fonts-levien-museum fonts-national-park fonts-okolaks fonts-cabinsketch fonts-engadget \\
      fonts-staypuft fonts-summersby fonts-tiresias fonts-uralic fonts-oflb-asana-math fonts-leckerli-one \\
      fonts-millimetre fonts-compagnon fonts-karmilla fonts-jura fonts-dustin fonts-gotico-antiqua fonts-blankenburg \\
      fonts-ecolier-court fonts-linex fonts-mplus fonts-tomsontalks fonts-klee fonts-rufscript fonts-pc fonts-vlgothic \\
      fonts-ipafont-gothic fonts-wqy-microhei fonts-unfonts-core fonts-babelstone-modern fonts-georgewilliams \\
      fonts-stick fonts-solide-mirage fonts-yrsa-rasa fonts-alee fonts-glasstty fonts-apropal fonts-bajaderka \\
      fonts-havana fonts-triod-postnaja fonts-gamaliel fonts-joscelyn fonts-klaudia-berenika fonts-le-murmure \\
      fonts-radisnoir fonts-dotgothic16 fonts-sixtyfour fonts-amiga
    pip install numpy pandas pillow fonttools      # (all in the project's venv)

The output is a function of the seed and of the installed font files: the builder prints a digest of the catalogue
(fonts.csv); the same packages (Debian 12 versions) give the same digest and the same images."""
import argparse, hashlib, sys, time
from pathlib import Path

import numpy as np, pandas as pd
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fontcat

VARIANTS = {'balanced': dict(classes='abdeghnopq', ratio=1.0),
            'imbalanced': dict(classes='abdeghnq', ratio=34.0)}
SIZES = dict(train=9000, valid=2000, test=3000)

def split_groups(fams:dict, seed:int, test=0.25, valid=0.15):
    "deal shuffled groups to test, valid, train by sampling weight (sqrt of #families per group)"
    groups = sorted({v['group'] for v in fams.values()})
    nfam = {g: sum(v['group'] == g for v in fams.values()) for g in groups}
    w = {g: np.sqrt(nfam[g]) for g in groups}
    total = sum(w.values())
    order = [groups[i] for i in np.random.default_rng(seed).permutation(len(groups))]
    out, acc = {}, 0.
    for g in order:
        out[g] = 'test' if acc < test * total else 'valid' if acc < (test + valid) * total else 'train'
        acc += w[g]
    return out, w

def class_counts(classes:str, ratio:float, n:int, rng)->dict:
    "geometric frequencies from `ratio` x down to 1, in a seeded order of the classes; sums to n"
    k = len(classes)
    p = ratio ** (np.arange(k)[::-1] / max(k - 1, 1))
    order = rng.permutation(k)
    p = p / p.sum()
    c = np.floor(p * n).astype(int)
    c[: n - c.sum()] += 1
    return {classes[order[i]]: int(c[i]) for i in range(k)}

def make_image(face, ch, rng, canvas=32):
    height = rng.uniform(0.55, 0.85)
    dx, dy = rng.uniform(-1, 1, 2)
    angle = float(np.clip(rng.normal(0, 3), -8, 8))
    ink, bg = rng.uniform(0, 90), rng.uniform(165, 255)
    a, _ = fontcat.render(face, ch, canvas, height=height, dx=dx, dy=dy, angle=angle, ink=ink, bg=bg)
    a = a + rng.normal(0, rng.uniform(0, 6), a.shape)
    im = Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8), 'L')
    if rng.random() < 0.25: im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    return im

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--variant', choices=list(VARIANTS), default='balanced')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--scale', type=float, default=1.0, help="multiply the split sizes (9000/2000/3000)")
    a = ap.parse_args()
    t0 = time.time()
    v = VARIANTS[a.variant]
    chars = ''.join(c + c.upper() for c in v['classes'])
    fams, pairs, dist, keys = fontcat.families('abdeghnopqABDEGHNOPQ')  # one catalogue for both variants
    gsplit, gw = split_groups(fams, seed=0)  # the typeface split does not depend on --seed or the variant
    cat = pd.DataFrame([dict(package=k[0], family=k[1], group=fams[k]['group'], split=gsplit[fams[k]['group']],
                             faces=len(fams[k]['faces'])) for k in keys])
    digest = hashlib.sha256(cat.to_csv(index=False).encode() +
                            ''.join(f"{f['file']}:{f['index']}" for k in keys for f in fams[k]['faces']).encode()).hexdigest()[:16]
    print(f"catalogue: {len(keys)} families, {cat.group.nunique()} groups, {int(cat.faces.sum())} faces from "
          f"{cat.package.nunique()} packages; digest {digest}")
    print(cat.groupby('split').agg(groups=('group', 'nunique'), families=('family', 'size'), faces=('faces', 'sum')).to_string())
    rng = np.random.default_rng(a.seed)
    rows = []
    a.out.mkdir(parents=True, exist_ok=True)
    base = class_counts(v['classes'], v['ratio'], 10 ** 6, np.random.default_rng(a.seed + 1))
    tot = sum(base.values())
    for split in ('train', 'valid', 'test'):
        n = int(round(SIZES[split] * a.scale))
        cc = {c: max(1, int(round(n * base[c] / tot))) for c in v['classes']}
        groups = sorted(g for g in gw if gsplit[g] == split)
        gp = np.array([gw[g] for g in groups]); gp = gp / gp.sum()
        famsof = {g: [k for k in keys if fams[k]['group'] == g] for g in groups}
        labels = [c for c in v['classes'] for _ in range(cc[c])]
        labels = [labels[i] for i in rng.permutation(len(labels))]
        (a.out/'images'/split).mkdir(parents=True, exist_ok=True)
        for i, lab in enumerate(labels):
            g = groups[rng.choice(len(groups), p=gp)]
            k = famsof[g][rng.integers(len(famsof[g]))]
            face = fams[k]['faces'][rng.integers(len(fams[k]['faces']))]
            ch = lab.upper() if rng.random() < 0.5 else lab
            path = f"images/{split}/{len(rows):05d}.png"
            make_image(face, ch, rng).save(a.out/path)
            rows.append(dict(path=path, label=lab, split=split, char=ch, package=k[0], family=k[1], style=face['style'], group=g))
    meta = pd.DataFrame(rows)
    meta.to_csv(a.out/'meta.csv', index=False)
    cat.to_csv(a.out/'fonts.csv', index=False)
    meta[meta.split != 'test'][['path', 'label', 'split']].to_csv(a.out/'train.csv', index=False)
    meta[meta.split == 'test'][['path', 'label']].to_csv(a.out/'test.csv', index=False)
    tab = pd.crosstab(meta.label, meta.split)[['train', 'valid', 'test']]
    print(tab.to_string())
    tr = tab['train']
    print(f"imbalance (train): {tr.max() / tr.min():.1f}x; typefaces seen: " +
          ', '.join(f"{s} {meta[meta.split == s].family.nunique()} families" for s in ('train', 'valid', 'test')))
    print(f"wrote {len(meta)} images to {a.out} in {time.time() - t0:.0f}s")

if __name__ == '__main__': main()
