"""The docs as a reader meets them. Every notebook in nbs/ (new ones included: they are globbed) goes through nbdev's
doc processing, the step `nbdev-docs` runs before Quarto, which executes each cell that defines the API or imports
something: a cell that mixes an import with code using an earlier cell's variable fails there (nbdev's FAQ: imports
in cells of their own). Then `tools/docs.py` (README's docs command) builds the site from those processed notebooks,
and headless Chromium (Debian's package, driven over the DevTools protocol as in test_app.py) opens the home page,
an API page, the augment page (executed at build time) and a tutorial page (committed outputs). A screenshot of the tutorial page is saved as /tmp/imgclf_docs_tutorial.png."""
import base64, functools, http.server, json, os, subprocess, sys, tempfile, threading, time, warnings
from pathlib import Path

import pytest
from websockets.sync.client import connect

from conftest import ROOT
from test_app import DevTools, _chromium, _free_port, _wait_http

SCREENSHOT = Path(tempfile.gettempdir())/'imgclf_docs_tutorial.png'
NOTEBOOKS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)


def _mixed_cells(nb:Path)->list[str]:
    "The cells nbdev's doc processing would warn about: imports and other code in one cell, in a notebook it executes"
    from nbdev.process import NBProcessor
    from nbdev.processors import _do_eval, add_show_docs
    proc = NBProcessor(nb, procs=[add_show_docs]); proc.process()
    if not proc.nb.has_docs_: return []
    bad = []
    for c in proc.nb.cells:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always')
            _do_eval(c)
        if any('imports and other code' in str(o.message) for o in w): bad.append(f"{nb.name} cell {c.get('id')}: {c.source[:80]!r}")
    return bad


def test_no_cell_mixes_imports_and_code():
    assert len(NOTEBOOKS) > 20
    bad = [b for nb in NOTEBOOKS for b in _mixed_cells(nb)]
    assert not bad, "move these imports into a cell of their own, just above:\n" + '\n'.join(bad)


def _serve(folder:Path)->tuple[http.server.ThreadingHTTPServer, int]:
    port = _free_port()
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    handler = functools.partial(Quiet, directory=str(folder))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, port


def _open(cdp:DevTools, url:str):
    cdp('Page.navigate', url=url)
    cdp.wait_js("document.readyState === 'complete' && [...document.images].every(i => i.complete)", timeout=60)


def _check_pages(cdp:DevTools, base:str):
    _open(cdp, f'{base}/index.html')
    assert 'image_classification' in cdp.js('document.title'), cdp.js('document.title')
    assert 'Quick start' in cdp.js('document.body.innerText')
    _open(cdp, f'{base}/config.html')
    sig = cdp.js("[...document.querySelectorAll('pre')].map(p => p.innerText).find(t => t.startsWith('def TrainConfig(')) || ''")
    assert 'sizes:list[int]' in sig.replace(' ', ''), sig[:300]
    assert '#|' not in cdp.js("document.querySelector('article').innerText"), "a cell directive shows on the page"
    _open(cdp, f'{base}/train.html')
    sig = cdp.js("[...document.querySelectorAll('pre')].map(p => p.innerText).find(t => t.startsWith('def train(')) || ''")
    assert '# experiment folder, the run gets a sub-folder' in sig, f"train's signature lacks its docments: {sig[:300]}"
    _open(cdp, f'{base}/augment.html')
    assert cdp.js("[...document.querySelectorAll('.jp-OutputArea img')].filter(i => i.naturalWidth > 0).length") >= 1, "no augmentation views"
    _open(cdp, f'{base}/tutorials/cifar10.html')
    widths = cdp.js("[...document.querySelectorAll('.jp-OutputArea img')].map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), f"the tutorial page shows no loaded figure: {widths}"
    cdp.js("[...document.querySelectorAll('.jp-OutputArea img')].at(-2).scrollIntoView()")  # the confusion matrix
    time.sleep(0.5)
    SCREENSHOT.write_bytes(base64.b64decode(cdp('Page.captureScreenshot', format='png')['data']))


@pytest.mark.slow  # 2-3 minutes of CI's two cores (121-173 s measured there): CI skips it (its 20-minute limit); run with --slow
def test_docs_site_builds_and_renders(tmp_path):
    site = tmp_path/'site'
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}
    # one module notebook executed (seconds): the mechanism that gives the augment and interpret pages their figures
    r = subprocess.run([sys.executable, str(ROOT/'tools'/'docs.py'), '--out', str(site), '--force', '--execute', '20_augment'], capture_output=True, text=True,
                       timeout=900, env=env, cwd=ROOT)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    pages = {p.relative_to(site).as_posix() for p in site.rglob('*.html')}
    assert len(pages) >= len(NOTEBOOKS), f"{len(NOTEBOOKS)} notebooks, {len(pages)} pages"
    assert {'index.html', 'config.html', 'train.html', 'tutorials/cifar10.html'} <= pages
    assert json.loads((site/'search'/'search_index.json').read_text())['docs'], "an empty search index"
    exe, dport = _chromium(), _free_port()
    srv, port = _serve(site)
    browser = subprocess.Popen([exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                                '--disable-component-update', '--disable-sync', f'--user-data-dir={tmp_path/"profile"}',
                                f'--remote-debugging-port={dport}', '--window-size=1280,1600', 'about:blank'],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tabs = json.loads(_wait_http(f'http://127.0.0.1:{dport}/json/list', 60))
        with connect(next(t for t in tabs if t['type'] == 'page')['webSocketDebuggerUrl'], max_size=None, open_timeout=30) as ws:
            cdp = DevTools(ws); cdp('Page.enable')
            _check_pages(cdp, f'http://127.0.0.1:{port}')
    finally:
        browser.terminate(); browser.wait(30); srv.shutdown()
