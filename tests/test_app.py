"""`imgclf app` as a user meets it: served on 127.0.0.1 by the installed command, opened in headless Chromium (Debian's
package, which .ci/run installs), an image uploaded through the page's own file input, the top class read off the
page and compared with `imgclf predict` on the same image. Chromium is driven over the Chrome DevTools protocol
(a websocket; `websockets` comes with Gradio), so no browser download is needed. A screenshot of the page is saved
as /tmp/imgclf_app_screenshot.png."""
import base64, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

import pandas as pd
import pytest
from websockets.sync.client import connect

from conftest import imgclf
from image_classification.datasets import make_tiny

SCREENSHOT = Path(tempfile.gettempdir())/'imgclf_app_screenshot.png'


def _free_port()->int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _wait_http(url:str, timeout:float=180)->str:
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as r: return r.read().decode()
        except OSError: time.sleep(0.5)
    raise TimeoutError(f"nothing answered at {url} within {timeout} s")


class DevTools:
    "The smallest Chrome DevTools protocol client: one page, commands answered in order"
    def __init__(self, ws): self.ws, self.n = ws, 0
    def __call__(self, method:str, **params):
        self.n += 1
        self.ws.send(json.dumps(dict(id=self.n, method=method, params=params)))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get('id') == self.n:
                if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get('result', {})
    def js(self, expr:str):
        return self('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True).get('result', {}).get('value')
    def wait_js(self, expr:str, timeout:float=60, every:float=0.5, then=None):
        "Poll `expr` until it is truthy (running `then` between polls); return its value"
        t0 = time.time()
        while time.time() - t0 < timeout:
            v = self.js(expr)
            if v: return v
            if then: self.js(then)
            time.sleep(every)
        raise TimeoutError(f"the page never gave {expr!r}")


def _chromium()->str:
    exe = next((p for p in map(shutil.which, ('chromium', 'chromium-browser', 'google-chrome')) if p), None)
    if exe is None:
        # CI (.ci/run) installs Debian's chromium: there a missing browser is a failure, not a skip
        assert not os.environ.get('CI'), "CI must install Debian's chromium for the app's browser test"
        pytest.skip("needs Debian's chromium (apt-get install chromium); CI installs it")
    return exe


def _upload_and_read(cdp:DevTools, url:str, image:Path)->tuple[str, str]:
    "Open the app, upload `image` through its file input, press Submit; (the top label shown, the page's text); a screenshot"
    cdp('Page.enable'); cdp('Page.navigate', url=url)
    cdp.wait_js("!!document.querySelector('input[type=file]')", timeout=120)
    root = cdp('DOM.getDocument', depth=-1, pierce=True)['root']['nodeId']
    node = cdp('DOM.querySelector', nodeId=root, selector='input[type=file]')['nodeId']
    cdp('DOM.setFileInputFiles', files=[str(image)], nodeId=node)
    click = "[...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Submit')?.click()"
    got = cdp.wait_js("document.querySelector('[data-testid=\"label-output-value\"]')?.innerText?.trim()", timeout=120, every=1, then=click)
    time.sleep(1)  # let the bars of the other classes draw before the picture
    SCREENSHOT.write_bytes(base64.b64decode(cdp('Page.captureScreenshot', format='png')['data']))
    return got, cdp.js("document.body.innerText")


@pytest.fixture
def trained(tmp_path):
    "A tiny run, trained by the installed `imgclf`, and one test image"
    root = make_tiny(tmp_path/'tiny', n_per_class=8, test_per_class=2)
    code, out, err = imgclf('train', root, '--arch', 'simple_cnn', '--no-pretrained', '--sizes', '32', '--epochs', '1', '--bs', '8',
                            '--lr', '3e-3', '--aug', 'none', '--num-workers', '0', '--out', tmp_path/'runs', '--quiet')
    assert code == 0, out + err
    return Path(out.split('run: ')[1].split()[0]), sorted(Path(f'{root}_test').rglob('*.png'))[0]


def test_app_in_chromium(trained, tmp_path):
    exe, (run, image) = _chromium(), trained
    pd.DataFrame({'image_path': [str(image)]}).to_csv(tmp_path/'one.csv', index=False)
    code, out, err = imgclf('predict', run, tmp_path/'one.csv', '--out', tmp_path/'pred.csv', '--topk', '1', '--quiet')
    assert code == 0, out + err
    want = pd.read_csv(tmp_path/'pred.csv')['label'][0]

    port, dport = _free_port(), _free_port()
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}
    app = subprocess.Popen([str(Path(sys.executable).with_name('imgclf')), 'app', str(run), '--port', str(port), '--topk', '3'],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    browser = None
    try:
        _wait_http(f'http://127.0.0.1:{port}/')
        browser = subprocess.Popen([exe, '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                                    '--disable-component-update', '--disable-sync', f'--user-data-dir={tmp_path/"profile"}',
                                    f'--remote-debugging-port={dport}', '--window-size=1200,900', 'about:blank'],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pages = json.loads(_wait_http(f'http://127.0.0.1:{dport}/json/list', 60))
        with connect(next(p for p in pages if p['type'] == 'page')['webSocketDebuggerUrl'], max_size=None, open_timeout=30) as ws:
            got, text = _upload_and_read(DevTools(ws), f'http://127.0.0.1:{port}/', image)
        assert got == want, f"the page shows {got!r}, imgclf predict says {want!r}"
        assert '%' in text, "no probabilities on the page"
    finally:
        if browser is not None: browser.terminate(); browser.wait(30)
        app.terminate()
        log = app.communicate(timeout=30)[0]
    assert 'serving run' in log and f'127.0.0.1:{port}' in log, log
