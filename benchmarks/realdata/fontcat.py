"""Catalogue of the Latin typefaces installed from Debian's fonts-* packages, grouped so that near-identical designs
(metric clones, script variants of one Latin design) always fall on one side of a split.

Used by build_fontglyphs.py; `python fontcat.py --sheet DIR` writes contact sheets (one row per family) to look at."""
import argparse, functools, glob, os, re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ['/usr/share/fonts', '/usr/share/texmf/fonts']
# families whose Latin code points hold other symbols (Greek, IPA, dingbats, keycaps) or that are math/symbol fonts
EXCLUDE = re.compile(r'symbol|dingbat|^D050000L$|math|keyboard|keyfont|phon|^Ellhnikh$|^Alfa-beta$|nushu'
                     r'|^Abecedario_(guiada|pautada|punt|punteada)'
                     # looked at, dropped: Solothurn draws most letters as the same round shape; Joscelyn is secretary
                     # hand (b, d, e, g unreadable as modern letters)
                     r'|^Solothurn$|^Joscelyn$', re.I)
# known clones of one design, across packages (URW base 35, TeX Gyre, Liberation/croscore, FreeFont, Uralic, ...)
CLONES = {
    'helvetica': r'^(Liberation Sans( Narrow)?|Arimo|Nimbus Sans( Narrow)?|TeX Gyre Heros( Cn)?|FreeSans|Aerial|Sans( Condensed)? Uralic)$',
    'times': r'^(Liberation Serif|Tinos|Nimbus Roman|TeX Gyre Termes|FreeSerif|Tymes|Roman Uralic|STIX|STIXGeneral)$',
    'courier': r'^(Liberation Mono|Cousine|Nimbus Mono PS|TeX Gyre Cursor|FreeMono|Mono Uralic)$',
    'palatino': r'^(P052|TeX Gyre Pagella|Palladio Uralic)$',
    'bookman': r'^(URW Bookman|TeX Gyre Bonum|Bookman Uralic)$',
    'schoolbook': r'^(C059|TeX Gyre Schola|Schoolbook Uralic)$',
    'avantgarde': r'^(URW Gothic|TeX Gyre Adventor|Gothic Uralic)$',
    'chancery': r'^(Z003|TeX Gyre Chorus|Chancery Uralic)$',
    'computer-modern': r'^(CMU |Latin Modern)',
    'vera': r'^(DejaVu |Veranda$)',
    'noto': r'^Noto ',
    'roboto': r'^Roboto',
    'gentium': r'^Gentium',
    'mplus': r'^(M PLUS|Mplus)',
}
# packages that hold several unrelated designs: group by family name there, not by package
MULTI = {'fonts-dustin', 'fonts-gotico-antiqua', 'fonts-linex', 'fonts-georgewilliams', 'fonts-pc', 'fonts-unfonts-core',
         'fonts-alee', 'fonts-sixtyfour', 'fonts-urw-base35', 'fonts-texgyre', 'fonts-uralic', 'fonts-arkpandora',
         'fonts-sil-charis', 'fonts-sil-doulos', 'fonts-tiresias', 'fonts-klaudia-berenika', 'fonts-ocr-a'}

def _owners():
    own = {}
    for lst in glob.glob('/var/lib/dpkg/info/*.list'):
        pkg = os.path.basename(lst)[:-5].split(':')[0]
        for l in open(lst, errors='replace'):
            l = l.strip()
            if l.lower().endswith(('.ttf', '.otf', '.ttc')): own[l] = pkg
    return own

def catalogue(chars:str):
    "One row per face (file, index) that covers every character of `chars`: package, family, style, weight, italic"
    from fontTools.ttLib import TTFont, TTCollection
    own = _owners()
    files = sorted(f for d in FONT_DIRS for f in glob.glob(d + '/**/*', recursive=True)
                   if f.lower().endswith(('.ttf', '.otf', '.ttc')) and os.path.isfile(f))
    rows, seen = [], set()
    for f in files:
        real = os.path.realpath(f)
        if real in seen: continue  # the same file linked twice
        seen.add(real)
        n = 1
        if f.lower().endswith('.ttc'):
            try: n = len(TTCollection(f).fonts)
            except Exception: continue
        for i in range(n):
            try:
                t = TTFont(f, fontNumber=i, lazy=True)
                cmap = t.getBestCmap() or {}
            except Exception: continue
            if not all(ord(c) in cmap for c in chars): continue
            name = t['name']
            fam = (name.getDebugName(16) or name.getDebugName(1) or '').strip()
            style = (name.getDebugName(17) or name.getDebugName(2) or '').strip()
            os2 = t['OS/2'] if 'OS/2' in t else None
            italic = bool(os2 and os2.fsSelection & 1) or bool(re.search('italic|oblique|slanted', style, re.I))
            pkg = own.get(f) or own.get(real) or '?'
            if not fam or EXCLUDE.search(fam): continue
            rows.append(dict(file=f, index=i, package=pkg, family=fam, style=style,
                             weight=int(getattr(os2, 'usWeightClass', 400) or 400), italic=italic))
    return rows

def base_group(pkg:str, family:str)->str:
    for k, pat in CLONES.items():
        if re.search(pat, family): return k
    if pkg in MULTI: return f"{pkg}:{family.split()[0].lower()}"
    pkg = re.sub(r'-(ttf|otf|core|extra|unhinted|hinted|mono)$', '', pkg)
    return {'fonts-liberation2': 'fonts-liberation', 'fonts-dejavu': 'vera'}.get(pkg, pkg)

def regular_face(faces:list):
    "the face closest to upright regular (weight 400, not italic)"
    return min(faces, key=lambda r: (r['italic'], abs(r['weight'] - 400), r['style'] != 'Regular', r['file'], r['index']))

@functools.lru_cache(maxsize=2048)
def load_font(file:str, index:int, size:int):
    return ImageFont.truetype(file, size, index=index, layout_engine=ImageFont.Layout.BASIC)

def render(face:dict, ch:str, canvas:int=32, scale:int=4, height:float=0.7, dx:float=0., dy:float=0., angle:float=0.,
           ink:int=0, bg:int=255):
    "one glyph, its ink box scaled to `height` of the canvas (width capped at 0.92), centred, shifted by dx, dy (fractions of the free margin)"
    S = canvas * scale
    ref = 100
    font = load_font(face['file'], face['index'], ref)
    l, t, r, b = font.getbbox(ch)
    w, h = max(r - l, 1), max(b - t, 1)
    k = min(height * S / h, 0.92 * S / w)
    size = max(int(round(ref * k)), 4)
    font = load_font(face['file'], face['index'], size)
    l, t, r, b = font.getbbox(ch)
    w, h = r - l, b - t
    mx, my = max(S - w, 0) / 2, max(S - h, 0) / 2
    x, y = mx + dx * mx * 0.8 - l, my + dy * my * 0.8 - t
    im = Image.new('L', (S, S), 0)
    ImageDraw.Draw(im).text((x, y), ch, fill=255, font=font)
    if angle: im = im.rotate(angle, resample=Image.BILINEAR)
    a = np.asarray(im.resize((canvas, canvas), Image.LANCZOS), dtype=np.float32) / 255
    return a * ink + (1 - a) * bg, float(a.max())

def face_ok(face:dict, chars:str)->bool:
    "every character draws ink, and not all as one shape (a .notdef box)"
    try: ims = [render(face, c, 24) for c in chars]
    except Exception: return False
    if min(m for _, m in ims) < 0.3: return False
    a = np.stack([i for i, _ in ims])
    return float(np.abs(a - a[0]).mean(axis=(1, 2)).max()) > 3

def signature(face:dict, chars:str, canvas:int=24):
    return np.concatenate([(255 - render(face, c, canvas)[0]).ravel() / 255 for c in chars])

def families(chars:str, dup_threshold:float=0.027):
    """Families (package, family) -> faces, with their split group: base_group, merged (union-find) with any family whose
    regular face renders `chars` within `dup_threshold` mean absolute difference (near-identical Latin designs)."""
    rows = catalogue(chars)
    fams = {}
    for r in rows:
        if face_ok(r, chars): fams.setdefault((r['package'], r['family']), []).append(r)
    keys = sorted(fams)
    sigs, ok = [], []
    for k in keys:
        try:
            s = signature(regular_face(fams[k]), chars)
            if np.isfinite(s).all() and s.max() > 0.3: sigs.append(s); ok.append(k)  # drop fonts that render nothing
        except Exception: pass
    keys = ok
    S = np.stack(sigs)
    parent = {k: base_group(*k) for k in keys}
    groups = sorted(set(parent.values()))
    up = {g: g for g in groups}
    def find(g):
        while up[g] != g: up[g] = up[up[g]]; g = up[g]
        return g
    dist = np.abs(S[:, None, :] - S[None, :, :]).mean(-1) if len(S) < 1500 else None
    pairs = []
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if dist[i, j] < dup_threshold:
                a, b = find(parent[keys[i]]), find(parent[keys[j]])
                pairs.append((keys[i][1], keys[j][1], round(float(dist[i, j]), 3)))
                if a != b: up[max(a, b)] = min(a, b)
    out = {k: dict(faces=sorted(fams[k], key=lambda r: (r['file'], r['index'])), group=find(parent[k])) for k in keys}
    return out, pairs, dist, keys

def sheet(out:Path, chars:str):
    fams, pairs, dist, keys = families(chars)
    out.mkdir(parents=True, exist_ok=True)
    per = 60
    font = ImageFont.truetype('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', 11)
    for p in range(0, len(keys), per):
        ks = keys[p:p + per]
        im = Image.new('L', (len(chars) * 26 + 330, len(ks) * 26), 255)
        d = ImageDraw.Draw(im)
        for i, k in enumerate(ks):
            f = regular_face(fams[k]['faces'])
            for j, c in enumerate(chars):
                im.paste(Image.fromarray(render(f, c, 24)[0].astype(np.uint8)), (j * 26, i * 26))
            d.text((len(chars) * 26 + 4, i * 26 + 6), f"{p + i} {k[1]} [{fams[k]['group']}]"[:52], fill=0, font=font)
        im.save(out/f'sheet{p // per:02d}.png')
    print(len(keys), 'families;', len({v['group'] for v in fams.values()}), 'groups')
    for a in pairs: print('near-duplicate', a)

if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--sheet', type=Path, required=True)
    ap.add_argument('--chars', default='abdeghnopqABDEGHNOPQ')
    a = ap.parse_args()
    sheet(a.sheet, a.chars)
