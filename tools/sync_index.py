"""Regenerate nbs/index.ipynb (the docs home page) from README.md.

nbdev normally writes README.md from index.ipynb with `nbdev-readme`, which needs Quarto; Quarto cannot be
installed on an offline machine, so here README.md is the source and this script keeps index.ipynb in step.
tools/test.sh runs it and fails if index.ipynb changes. The index adds one tested cell: the quick start on tiny data.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = '''from image_classification.all import *
import tempfile, warnings; warnings.filterwarnings('ignore')
_tmp = Path(tempfile.mkdtemp())
root  = make_tiny(_tmp/'tiny', n_per_class=10)
table = split_table(read_table(root), 'stratified', valid_pct=0.2, seed=42)
report = validate(table, progress=False)
print(report)
cfg = TrainConfig(arch='simple_cnn', channels=3, sizes=[32, 40], epochs=[1, 1], bs=8, lr=3e-3, aug='none')
run = train(cfg, table, out=_tmp/'runs', quiet=True)
print(run.meta['metrics'])
assert report.ok and set(run.meta['metrics']) >= {'accuracy', 'error_rate', 'macro_f1'}'''

def cell(kind, src, i):
    c = {'cell_type': kind, 'id': f'{i:08x}', 'metadata': {}, 'source': src.splitlines(keepends=True)}
    if kind == 'code': c.update(execution_count=None, outputs=[])
    return c

def build()->dict:
    readme = (ROOT/'README.md').read_text()
    title, _, body = readme.partition('\n')
    md = [title, '', '> A fastai transfer-learning kit for image classification: data checks, progressive resizing, honest ensembles, reports.']
    cells = [cell('markdown', '\n'.join(md), 0), cell('markdown', body.strip('\n'), 1),
             cell('markdown', 'The quick start, run on the tiny embedded set (this cell is tested):', 2),
             cell('code', 'from pathlib import Path\n' + QUICKSTART, 3)]
    return {'cells': cells, 'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
            'nbformat': 4, 'nbformat_minor': 5}

if __name__ == '__main__':
    (ROOT/'nbs'/'index.ipynb').write_text(json.dumps(build(), indent=1, ensure_ascii=False) + '\n')
