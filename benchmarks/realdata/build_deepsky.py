"""Dataset B, `deepsky`: colour astrophotographs of deep-sky objects shipped in Debian's stellarium-data package
(the 555 "default" nebula textures, /usr/share/stellarium/nebulae/default/*.png, credited photographs by amateur and
professional astronomers, DSS and Hubble), labelled by the object's type in Stellarium's own DSO catalogue.

    apt-get install -y --no-install-recommends stellarium-data      # 0.22.2-1 on Debian 12; ~390 MB, data only
    python benchmarks/realdata/build_deepsky.py --out /work/data/deepsky [--size 64] [--seed 0]

Labels. Each image's position on the sky comes from textures.json (the corners of the image); the object is taken
from the file name where it names one (m31, ngc7000, ic1396, barnard22, sh2-101, ...) and lies inside the image,
else the largest catalogue object (not a star) within 35% of the half-diagonal of the image's centre. The star-field
tiles of the Magellanic Clouds (lmc_*, smc*) are left out. Its type is read from
nebulae/default/catalog.dat (Stellarium's DSO catalogue 3.16, a gzip'd Qt data stream, parsed here) and mapped to
five classes:

    galaxy            galaxies, active/radio/interacting galaxies, quasars, galaxy clusters
    globular_cluster  globular star clusters
    open_cluster      open clusters, star clusters, associations, star clouds
    planetary_nebula  planetary, bipolar and proto-planetary nebulae
    diffuse_nebula    emission, reflection and HII nebulae, clusters with nebulosity, interstellar matter

Dark nebulae and supernova remnants (too few: 12 and 7) and stars are left out. The classes are naturally
imbalanced (galaxies ~3x the rarest).

Split: by OBJECT (several images of one object, or the tiles of one mosaic such as Barnard's Loop 1-4, stay together),
stratified by class: 25% of each class's objects to test, 15% to valid, the rest train (seeded). Images: RGB (palette and alpha
images flattened on black, the sky's colour), resized to SIZExSIZE with Lanczos. Output:

    OUT/images/NAME.png;  OUT/train.csv path,label,split (train/valid);  OUT/test.csv path,label;
    OUT/meta.csv path,label,split,object,otype,mtype,credit (what each image is)
"""
import argparse, gzip, json, math, re, struct, sys, time
from pathlib import Path

import numpy as np, pandas as pd
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from deal import deal_groups

SRC = Path('/usr/share/stellarium/nebulae/default')
CLASSES = {'galaxy': {0, 1, 2, 3, 4, 21, 22, 25, 33, 34}, 'globular_cluster': {7}, 'open_cluster': {5, 6, 8, 9},
           'planetary_nebula': {11, 14, 26, 27}, 'diffuse_nebula': {10, 13, 15, 16, 17, 19, 20, 23}}
TYPE_NAMES = {0: 'galaxy', 1: 'active galaxy', 2: 'radio galaxy', 3: 'interacting galaxy', 4: 'quasar', 5: 'star cluster',
              6: 'open cluster', 7: 'globular cluster', 8: 'stellar association', 9: 'star cloud', 10: 'nebula',
              11: 'planetary nebula', 12: 'dark nebula', 13: 'reflection nebula', 14: 'bipolar nebula',
              15: 'emission nebula', 16: 'cluster with nebulosity', 17: 'HII region', 18: 'supernova remnant',
              19: 'interstellar matter', 20: 'emission object', 23: 'molecular cloud', 26: 'possible PN',
              27: 'proto-planetary nebula', 28: 'star', 33: 'galaxy cluster'}

def read_catalog(path:Path)->pd.DataFrame:
    "Stellarium's DSO catalogue (catalog.dat, format 3.16): Qt QDataStream, big-endian, QString = u32 length + UTF-16BE"
    b = gzip.open(path).read()
    pos = 0
    def s():
        nonlocal pos
        n, = struct.unpack_from('>I', b, pos); pos += 4
        if n == 0xFFFFFFFF: return ''
        v = b[pos:pos + n].decode('utf-16-be'); pos += n; return v
    def i():
        nonlocal pos
        v, = struct.unpack_from('>i', b, pos); pos += 4; return v
    def d():
        nonlocal pos
        v, = struct.unpack_from('>d', b, pos); pos += 8; return v
    version, edition = s(), s()
    rows = []
    while pos < len(b):
        r = dict(id=i(), ra=d(), dec=d(), bmag=d(), vmag=d(), otype=i(), mtype=s(), maj=d(), min=d(), ori=i())
        for k in ('z', 'zerr', 'plx', 'plxerr', 'dist', 'disterr'): r[k] = d()
        for k in 'ngc ic m c b sh2 vdb rcw ldn lbn cr mel pgc ugc'.split(): r[k] = i()
        r['ced'] = s(); r['arp'] = i(); r['vv'] = i()
        for k in 'pk png snrg aco hcg eso vdbh'.split(): r[k] = s()
        for k in 'dwb tr st ru vdbha'.split(): r[k] = i()
        rows.append(r)
    assert pos == len(b), 'catalog.dat: unexpected format'
    print(f"catalog.dat: version {version} {edition}, {len(rows)} objects")
    return pd.DataFrame(rows)

def read_textures(path:Path)->list:
    txt = path.read_text()
    txt = re.sub(r'(?<=[\[,\s:])(-?)\.(\d)', r'\g<1>0.\2', txt)  # numbers like -.97 and .5 are not JSON
    return json.loads(txt)['subTiles']

def sep(ra1, dec1, ra2, dec2):
    "angular separation in degrees (radians in)"
    return np.degrees(np.arccos(np.clip(np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2), -1, 1)))

NAME_PATTERNS = [(r'^m(\d+)', 'm'), (r'^ngc ?(\d+)', 'ngc'), (r'^ic ?(\d+)', 'ic'), (r'^barnard ?(\d+)', 'b'),
                 (r'^n(\d+)', 'ngc'), (r'^i(\d+)', 'ic'), (r'^u(\d+)', 'ugc'), (r'^p(\d+)', 'pgc'),
                 (r'^b(\d+)', 'b'), (r'^sh2[-_ ]?(\d+)', 'sh2'), (r'^vdb ?(\d+)', 'vdb'), (r'^ldn ?(\d+)', 'ldn'),
                 (r'^lbn ?(\d+)', 'lbn'), (r'^rcw ?(\d+)', 'rcw'), (r'^cr ?(\d+)', 'cr'), (r'^mel ?(\d+)', 'mel'),
                 (r'^arp ?(\d+)', 'arp'), (r'^ugc ?(\d+)', 'ugc'), (r'^pgc ?(\d+)', 'pgc')]

def identify(tile:dict, cat:pd.DataFrame, RA, DEC, MAJ):
    wc = np.radians(np.array(tile['worldCoords'][0], dtype=float))
    v = np.stack([np.cos(wc[:, 1]) * np.cos(wc[:, 0]), np.cos(wc[:, 1]) * np.sin(wc[:, 0]), np.sin(wc[:, 1])]).mean(1)
    ra0, dec0 = math.atan2(v[1], v[0]), math.atan2(v[2], math.hypot(v[0], v[1]))
    half = float(max(sep(ra0, dec0, p[0], p[1]) for p in wc))
    d = sep(ra0, dec0, RA, DEC)
    stem = Path(tile['imageUrl']).stem.lower()
    for pat, col in NAME_PATTERNS:
        m = re.match(pat, stem)
        if m:
            idx = np.where((cat[col].to_numpy() == int(m.group(1))) & (d < max(2 * half, 0.05)))[0]
            if len(idx): return int(idx[np.argmin(d[idx])]), 'name', half
    cand = np.where((d < 0.35 * half) & (cat.otype.to_numpy() != 28))[0]
    if len(cand): return int(cand[np.argmax(MAJ[cand])]), 'position', half
    return int(np.argmin(d)), 'nearest', half

def to_rgb(im:Image.Image)->Image.Image:
    if im.mode in ('P', 'LA', 'PA') or 'transparency' in im.info: im = im.convert('RGBA')
    if im.mode == 'RGBA':
        bg = Image.new('RGB', im.size, (0, 0, 0)); bg.paste(im, mask=im.getchannel('A')); return bg
    return im.convert('RGB')

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', type=Path, required=True)
    ap.add_argument('--src', type=Path, default=SRC)
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    if not (a.src/'textures.json').exists(): raise SystemExit(f"{a.src}/textures.json missing: apt-get install -y --no-install-recommends stellarium-data")
    cat = read_catalog(a.src/'catalog.dat')
    RA, DEC, MAJ = cat.ra.to_numpy(), cat.dec.to_numpy(), cat.maj.to_numpy()
    tiles = read_textures(a.src/'textures.json')
    cls_of = {t: c for c, ts in CLASSES.items() for t in ts}
    rows = []
    for t in tiles:
        if re.match(r'^(lmc|smc)', Path(t['imageUrl']).stem, re.I): continue  # star-field tiles of the Magellanic Clouds
        i, how, half = identify(t, cat, RA, DEC, MAJ)
        r = cat.iloc[i]
        names = [f"{k.upper()} {r[k]}" for k in ('m', 'ngc', 'ic', 'b', 'sh2', 'vdb', 'ldn', 'lbn', 'rcw', 'cr', 'mel', 'ugc', 'pgc') if r[k]]
        credit = t.get('imageCredits', {}) or {}
        rows.append(dict(file=t['imageUrl'], object=names[0] if names else f"DSO {r['id']}", object_id=int(r['id']),
                         otype=int(r['otype']), type_name=TYPE_NAMES.get(int(r['otype']), str(r['otype'])), mtype=r['mtype'],
                         label=cls_of.get(int(r['otype']), ''), how=how, field_deg=round(2 * half, 3),
                         credit=credit.get('short') or credit.get('Short') or ''))
    df = pd.DataFrame(rows)
    print('all images by catalogue type:', df.type_name.value_counts().to_dict())
    df = df[df.label != ''].reset_index(drop=True)
    # groups: images of one object, or tiles of one mosaic (name-1, name-2, ...), stay together
    up = {}
    def find(x):
        while up.setdefault(x, x) != x: x = up[x]
        return x
    for r in df.itertuples():
        a_, b_ = find(f"obj{r.object_id}"), find('stem:' + re.sub(r'[-_]\d+$', '', Path(r.file).stem.lower()))
        if a_ != b_: up[max(a_, b_)] = min(a_, b_)
    df['group'] = [find(f"obj{o}") for o in df.object_id]
    # split by group, stratified by class (the class of a group's first image)
    rng = np.random.default_rng(a.seed)
    split = deal_groups(df.groupby('group').label.first(), CLASSES, rng)
    df['split'] = df.group.map(split)
    (a.out/'images').mkdir(parents=True, exist_ok=True)
    paths = []
    for r in df.itertuples():
        im = to_rgb(Image.open(a.src/r.file)).resize((a.size, a.size), Image.LANCZOS)
        p = f"images/{Path(r.file).stem}.png"
        im.save(a.out/p); paths.append(p)
    df.insert(0, 'path', paths)
    df.drop(columns=['file']).to_csv(a.out/'meta.csv', index=False)
    df[df.split != 'test'][['path', 'label', 'split']].to_csv(a.out/'train.csv', index=False)
    df[df.split == 'test'][['path', 'label']].to_csv(a.out/'test.csv', index=False)
    tab = pd.crosstab(df.label, df.split)[['train', 'valid', 'test']]
    print(tab.to_string())
    print(f"labelled by: {df.how.value_counts().to_dict()}; objects: {df.object_id.nunique()}; groups: {df.group.nunique()}; "
          f"imbalance (train): {tab['train'].max() / tab['train'].min():.1f}x")
    print(f"wrote {len(df)} images to {a.out} in {time.time() - t0:.0f}s")

if __name__ == '__main__': main()
