"""Faults of the data and of the machine, each with the reproduction that found it (issue 14): every one is one line
on stderr and exit status 2, with nothing half-written; no traceback unless --debug. The commands run in-process
(`cli.main`, the same code as the `imgclf` script) so that each costs its work, not an interpreter's start."""
import io, json, os, pickle, shutil, socket, subprocess, sys
from pathlib import Path

import numpy as np, pandas as pd, pytest
from PIL import Image

from image_classification.cli import main
from image_classification.datasets import make_tiny

FAST = ['--arch', 'simple_cnn', '--channels', '3', '--sizes', '16', '--epochs', '1', '--bs', '8', '--lr', '1e-2',
        '--aug', 'none', '--num-workers', '0', '--quiet']


def run(capsys, *args):
    "(exit status, stdout, stderr) of `imgclf ARGS`, in-process"
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code, err, *words):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and 'Traceback' not in err, err
    for w in words: assert w in err, (w, err)


def no_tmp_left(folder:Path):
    left = [p for p in Path(folder).rglob('.*') if p.is_file()] if Path(folder).exists() else []
    assert not left, left


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A tiny dataset with a held-back test folder, and one run trained on it"
    tmp = tmp_path_factory.mktemp('faults')
    data = make_tiny(tmp/'tiny', n_per_class=8, test_per_class=2)
    assert main(['train', str(data), *FAST, '--out', str(tmp/'exp')]) == 0
    run_dir = next(p for p in (tmp/'exp').iterdir() if p.is_dir())
    return tmp, data, Path(f'{data}_test'), run_dir


def _copy_run(run_dir:Path, dest:Path)->Path:
    shutil.copytree(run_dir.parent, dest)
    return dest/run_dir.name


@pytest.fixture
def mount_point(tmp_path):
    "A folder this test may mount on; skipped (the only skip) where the machine does not allow mounting"
    mnt = tmp_path/'mnt'; mnt.mkdir()
    r = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mnt)], capture_output=True, text=True)
    if r.returncode: pytest.skip(f"cannot mount a tmpfs here ({(r.stderr or r.stdout).strip()}): needs root with CAP_SYS_ADMIN")
    subprocess.run(['umount', str(mnt)], check=True)
    yield mnt
    subprocess.run(['umount', '-l', str(mnt)], capture_output=True)


# --- item 6: the machine's faults ----------------------------------------------------------------------------------

def test_full_disk(trained, mount_point, capsys):
    tmp, data, _, _ = trained
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(mount_point)], check=True)
    code, out, err = run(capsys, 'train', data, *FAST, '--out', mount_point/'exp')
    one_line_error(code, err, 'cannot write', 'No space left on device', 'free some space')
    no_tmp_left(mount_point)


def test_read_only_folder(trained, mount_point, capsys):
    tmp, data, test_dir, run_dir = trained
    src = tmp/'ro_src'; src.mkdir(exist_ok=True)
    subprocess.run(['mount', '--bind', str(src), str(mount_point)], check=True)
    subprocess.run(['mount', '-o', 'remount,bind,ro', str(mount_point)], check=True)
    code, out, err = run(capsys, 'train', data, *FAST, '--out', mount_point/'exp')
    one_line_error(code, err, 'Read-only file system')
    code, out, err = run(capsys, 'predict', run_dir, test_dir, '--out', mount_point/'sub.csv', '--quiet')
    one_line_error(code, err, 'sub.csv', 'Read-only file system')  # refused before the inference
    assert not list(src.iterdir())


def test_unwritable_predict_out_fails_before_inference(trained, capsys, monkeypatch):
    "Without a mount: the output's folder is a file, so nothing can be written under it; no image is predicted"
    tmp, _, test_dir, run_dir = trained
    import image_classification.predict as P
    monkeypatch.setattr(P, 'source_probs', lambda *a, **k: pytest.fail("predicted before checking the output"))
    (tmp/'a_file').write_text('x')
    code, out, err = run(capsys, 'predict', run_dir, test_dir, '--out', tmp/'a_file'/'sub.csv', '--quiet')
    one_line_error(code, err, 'sub.csv')


def test_damaged_run_files(trained, tmp_path, capsys):
    tmp, data, test_dir, run_dir = trained
    # a model.json cut short
    f = _copy_run(run_dir, tmp_path/'cut')
    (f/'model.json').write_text((f/'model.json').read_text()[:200])
    code, out, err = run(capsys, 'predict', f, test_dir, '--out', tmp_path/'s.csv')
    one_line_error(code, err, 'model.json', 'not valid JSON')
    # a pickle under the name model.safetensors (its sha256 entered in model.json, so only the format can tell)
    f = _copy_run(run_dir, tmp_path/'pkl')
    (f/'model.safetensors').write_bytes(pickle.dumps({'w': [1, 2, 3]}))
    import hashlib
    meta = json.loads((f/'model.json').read_text()); meta['sha256'] = hashlib.sha256((f/'model.safetensors').read_bytes()).hexdigest()
    (f/'model.json').write_text(json.dumps(meta))
    code, out, err = run(capsys, 'predict', f, test_dir, '--out', tmp_path/'s.csv')
    one_line_error(code, err, 'model.safetensors', 'not a readable safetensors file')
    # an object array in valid_probs.npy
    f = _copy_run(run_dir, tmp_path/'obj')
    np.save(f/'valid_probs.npy', np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
    code, out, err = run(capsys, 'interpret', f, '--out', tmp_path/'interp')
    one_line_error(code, err, 'valid_probs.npy', 'plain array')
    assert not (tmp_path/'s.csv').exists()


def test_bad_options(trained, tmp_path, capsys):
    tmp, data, _, run_dir = trained
    code, out, err = run(capsys, 'train', data, *FAST, '--arch-kwargs', '{wdiths: 3}', '--out', tmp_path/'e')
    one_line_error(code, err, "do not fit architecture 'simple_cnn'")
    for arch, sizes, native in (('test_vit', '20', 160), ('coatnet_0_rw_224', '100,224', 224)):  # sizes timm cannot build them at
        code, out, err = run(capsys, 'train', data, '--arch', arch, '--sizes', sizes, '--no-pretrained', '--out', tmp_path/'e')
        one_line_error(code, err, f'runs at {native} px', f'use --sizes {native}')
    assert not (tmp_path/'e').exists()  # refused before anything was written
    # a resumed run whose config.yaml carries a Python tag
    tagged = _copy_run(run_dir, tmp_path/'tag')
    (tagged/'model.json').unlink(); (tagged/'checkpoint').mkdir(); (tagged/'checkpoint'/'progress.json').write_text('{}')
    (tagged/'config.yaml').write_text("arch: !!python/object/apply:os.system ['echo pwned']\n")
    code, out, err = run(capsys, 'train', '--resume', tagged)
    one_line_error(code, err, 'config.yaml', 'not valid YAML')
    assert 'pwned' not in out


# --- item 3: unusable test images --------------------------------------------------------------------------------

def _bad_test_folder(test_dir:Path, dest:Path, n_good:int|None=None)->Path:
    "The test images (or `n_good` copies of them) with 5 unusable files among them"
    dest.mkdir()
    goods = sorted(test_dir.glob('*.png'))
    for i in range(n_good or len(goods)): shutil.copy(goods[i % len(goods)], dest/f'{i:03d}_{goods[i % len(goods)].name}')
    buf = io.BytesIO(); Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(buf, 'PNG')
    (dest/'b0_truncated.png').write_bytes(buf.getvalue()[:50])
    (dest/'b1_text.png').write_text('not an image')
    (dest/'b2_empty.png').write_bytes(b'')
    (dest/'b3_truncated.jpg').write_bytes(buf.getvalue()[:80])
    (dest/'b4_garbage.png').write_bytes(os.urandom(300))
    return dest


@pytest.mark.parametrize('n_good', [None, 70])  # the 6 held-back images; 70 copies (two batches of 64)
def test_predict_with_corrupt_images(trained, tmp_path, capsys, n_good):
    tmp, _, test_dir, run_dir = trained
    folder = _bad_test_folder(test_dir, tmp_path/'test', n_good)
    n = len(list(folder.iterdir()))
    code, out, err = run(capsys, 'predict', run_dir, folder, '--out', tmp_path/'sub.csv', '--quiet')
    assert code == 2 and 'Traceback' not in err, err
    assert f'5 of {n} test images cannot be predicted' in err and all(f'b{k}_' in err for k in range(5)), err
    assert not (tmp_path/'sub.csv').exists()
    code, out, err = run(capsys, 'predict', run_dir, folder, '--out', tmp_path/'sub.csv', '--quiet', '--skip-bad')
    assert code == 0 and '5 unusable images' in out, out + err
    sub = pd.read_csv(tmp_path/'sub.csv', keep_default_na=False)
    assert len(sub) == n and list(sub.columns) == ['image_path', 'label', 'target', 'error']
    bad = sub[sub.error != '']
    assert sorted(bad.image_path.str[:3]) == [f'b{k}_' for k in range(5)]
    assert (bad.label == '').all() and (bad.target == '').all()
    assert sub[sub.error == ''].label.isin(['circle', 'square', 'triangle']).all()


# --- item 2: file names that are not UTF-8 --------------------------------------------------------------------------

def test_names_not_utf8(trained, tmp_path, capsys):
    tmp, data, test_dir, run_dir = trained
    folder = tmp_path/'data'; shutil.copytree(data, folder)
    name = os.fsdecode(b'caf\xe9.png')  # what a zip made on Windows unpacks to
    shutil.copy(folder/'circle'/'0000.png', folder/'circle'/name)
    code, out, err = run(capsys, 'validate', folder, '--quiet')
    assert code == 2 and 'circle/caf\\xe9.png: file name is not valid UTF-8' in out and 'Traceback' not in err, out + err
    code, out, err = run(capsys, 'train', folder, *FAST, '--out', tmp_path/'exp')
    assert code == 2 and 'caf\\xe9.png' in out and not (tmp_path/'exp').exists(), out + err  # refused before any work
    tests = tmp_path/'test'; shutil.copytree(test_dir, tests); shutil.copy(next(tests.glob('*.png')), tests/name)
    code, out, err = run(capsys, 'predict', run_dir, tests, '--out', tmp_path/'sub.csv', '--quiet')
    assert code == 2 and 'caf\\xe9.png: bad_name' in err and not (tmp_path/'sub.csv').exists(), err
    code, out, err = run(capsys, 'predict', run_dir, tests, '--out', tmp_path/'sub.csv', '--quiet', '--skip-bad')
    assert code == 0, err
    assert b'caf\xe9.png' in (tmp_path/'sub.csv').read_bytes()  # the name as it is on disk


# --- item 8: validation messages ----------------------------------------------------------------------------------

def _csv(folder:Path, text:str)->Path:
    (folder/'t.csv').write_text(text)
    return folder/'t.csv'


def test_validation_reports_everything_at_once(trained, tmp_path, capsys):
    tmp, data, _, _ = trained
    d = tmp_path/'d'; shutil.copytree(data, d)
    (d/'circle'/'bad.png').write_text('no image')
    odd = ('circle/0001.png', 'square/0001.png', 'triangle/0003.png')
    rows = [f'{c}/{i:04d}.png,{c}' for c in ('circle', 'square', 'triangle') for i in range(8) if f'{c}/{i:04d}.png' not in odd]
    n = len(rows) + 1  # the last line of the good rows (the header is line 1)
    first = 2 + rows.index('square/0002.png,square')
    csv = _csv(d, 'path,label\n' + '\n'.join(rows) + '\ncircle/bad.png,circle\ncircle/0001.png,\nsquare/0001.png,lonely\n'
               'square/0002.png,square\ntriangle/0003.png,nan\n')
    code, out, err = run(capsys, 'validate', csv, '--quiet')
    assert code == 2 and 'Traceback' not in err, out + err
    for what in (f't.csv line {n+1}: circle/bad.png: not an image', f't.csv line {n+2}: circle/0001.png: missing or empty label',
                 f"t.csv line {n+3}: square/0001.png: class 'lonely' has a single image",
                 f't.csv line {n+4}: square/0002.png: listed again (first at t.csv line {first})',
                 f"t.csv line {n+5}: triangle/0003.png: label 'nan' is a missing value"):
        assert what in out, (what, out)
    code, out, err = run(capsys, 'train', csv, *FAST, '--out', tmp_path/'e')
    assert code == 2 and 'circle/bad.png' in out and "class 'lonely'" in out and not (tmp_path/'e').exists(), out + err


def test_misnamed_label_column(trained, tmp_path, capsys):
    tmp, data, _, _ = trained
    csv = _csv(data, 'path,klass\n' + '\n'.join(f'{c}/{i:04d}.png,{c}' for c in ('circle', 'square') for i in range(4)) + '\n')
    code, out, err = run(capsys, 'train', csv, *FAST, '--out', tmp_path/'e')
    one_line_error(code, err, 'no label column', 'klass', 'label, class_name, class, category', '--label-col')
    csv.unlink()


def test_copies_and_label_conflicts_named(trained, tmp_path, capsys):
    tmp, data, _, _ = trained
    d = tmp_path/'d'; shutil.copytree(data, d)
    for k in range(2): shutil.copy(d/'circle'/'0000.png', d/'circle'/f'copy{k}.png')
    shutil.copy(d/'circle'/'0000.png', d/'square'/'stray.png')
    code, out, err = run(capsys, 'validate', d, '--quiet')
    assert code == 2
    for f in ('circle/0000.png', 'circle/copy0.png', 'circle/copy1.png', 'square/stray.png'): assert f"{f}: labelled" in out, (f, out)
    assert 'worse than a leak' in out


def test_max_pixels(trained, tmp_path, capsys):
    tmp, data, _, _ = trained
    code, out, err = run(capsys, 'validate', data, '--quiet', '--max-pixels', '1000')  # the images are 32x32
    assert code == 2 and out.count('too_large: ') == 24 and 'more than 1000 pixels' in out, out
    code, out, err = run(capsys, 'validate', data, '--quiet', '--max-pixels', '1024')
    assert code == 0, out
    code, out, err = run(capsys, 'validate', data, '--quiet')  # PIL's default limit again
    assert code == 0 and Image.MAX_IMAGE_PIXELS == 89_478_485, out


def test_interrupted_runs_are_said(trained, tmp_path, capsys):
    tmp, data, _, run_dir = trained
    exp = tmp_path/'exp'; shutil.copytree(run_dir.parent, exp)
    gone = subprocess.Popen([sys.executable, '-c', 'pass']); gone.wait()
    killed = exp/'simple_cnn-killed'; (killed/'checkpoint').mkdir(parents=True)
    (killed/'status.json').write_text(json.dumps({'status': 'running', 'pid': gone.pid, 'host': socket.gethostname()}))
    (killed/'.model.json.x1.tmp').write_text('half')
    code, out, err = run(capsys, 'ensemble', exp, '--method', 'equal')
    assert f'note: run {killed} was interrupted' in err and '--resume' in err, err
