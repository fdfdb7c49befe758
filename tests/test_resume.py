"""A run killed (SIGKILL: no cleanup runs) at any write boundary, or in the middle of an epoch, resumes into the run
that would have happened: the same weights bit for bit (CPU), the same history rows and validation probabilities.

The sweep forks one child per kill point from this process (imports paid once): the child patches `os.replace`,
the rename every atomic write of the package ends with, to SIGKILL itself on its n-th call, exactly where
`strace -e inject=rename:signal=KILL:when=n` kills `imgclf train`; a second child resumes. The strace variant
(`imgclf` itself under strace, every rename) is `slow`: run it with `pytest --slow`.
"""
import json, os, shutil, signal, subprocess, sys, traceback
from pathlib import Path

import numpy as np, pandas as pd, pytest, torch
from safetensors.torch import load_file
from fastai.callback.core import Callback

from image_classification.datasets import make_tiny
from image_classification.data import read_table, split_table
from image_classification.config import TrainConfig
from image_classification.train import train

# two stages (a phase boundary), a mid-phase epoch boundary, lr_find at each stage, random augmentation
RECIPE = dict(arch='simple_cnn', pretrained=False, channels=3, sizes=[16, 24], epochs=[2, 1], bs=8, lr_find_iters=5,
              aug='default', num_workers=0, seed=0, threads=1)  # one thread whatever the load: bit-identical runs
FIXED_LR = {**RECIPE, 'lr': 1e-2}  # the same without lr_find (a third of the time): the every-rename sweep's recipe


def _in_child(fn)->int:
    "Run `fn` in a forked child; its exit status, or minus the signal that killed it"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            torch.set_num_threads(1)
            fn(); code = 0
        except BaseException: traceback.print_exc()
        finally: os._exit(code)
    _, st = os.waitpid(pid, 0)
    return -os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)


def _kill_at_rename(n:int|None, count_file:Path|None=None):
    "Make this process SIGKILL itself on its n-th `os.replace`, before renaming; count them into `count_file`"
    real, count = os.replace, [0]
    def replace(*a, **k):
        count[0] += 1
        if count[0] == n: os.kill(os.getpid(), signal.SIGKILL)
        r = real(*a, **k)
        if count_file is not None: count_file.write_text(str(count[0]))
        return r
    os.replace = replace


def _train(table, out, resume=None, callbacks=(), recipe=RECIPE):
    return train(TrainConfig(**recipe, callbacks=list(callbacks)), table, out=out, resume=resume, quiet=True)


def _finish(table, out:Path, recipe=RECIPE):
    "Resume the run killed in `out` (or, killed before its folder existed, train it anew)"
    runs = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
    assert len(runs) <= 1, runs
    return _train(table, out, resume=runs[0] if runs else None, recipe=recipe)


def _run_folder(out:Path)->Path:
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return run


def assert_same_run(ref:Path, got:Path):
    "Weights bit for bit, history rows (but the wall-clock seconds), validation probabilities, manifest scores, results row"
    a, b = load_file(str(ref/'model.safetensors')), load_file(str(got/'model.safetensors'))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a), [k for k in a if not torch.equal(a[k], b[k])]
    ha, hb = (pd.read_csv(f/'history.csv').drop(columns='seconds') for f in (ref, got))
    pd.testing.assert_frame_equal(ha, hb, check_exact=True)
    assert np.array_equal(np.load(ref/'valid_probs.npy'), np.load(got/'valid_probs.npy'))
    ma, mb = (json.loads((f/'model.json').read_text()) for f in (ref, got))
    for k in ('metrics', 'best_epoch', 'lrs', 'size', 'status', 'sha256'): assert ma[k] == mb[k], k
    assert json.loads((got/'status.json').read_text())['status'] == 'finished'
    assert not (got/'checkpoint').exists()
    assert not [p.name for p in got.iterdir() if p.name.startswith('.')], "temporary files left"
    res = pd.read_csv(got.parent/'results.csv')
    assert res.run_id.tolist() == [got.name]


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    "The table, and an uninterrupted run of each recipe with the number of renames it made"
    tmp = tmp_path_factory.mktemp('resume')
    table = split_table(read_table(make_tiny(tmp/'tiny', n_per_class=8)), 'stratified', valid_pct=0.25, seed=0)
    refs = {}
    for name, recipe in (('ref', RECIPE), ('ref_lr', FIXED_LR)):
        count = tmp/f'{name}.renames'
        assert _in_child(lambda: (_kill_at_rename(None, count), _train(table, tmp/name, recipe=recipe))) == 0
        refs[name] = (_run_folder(tmp/name), int(count.read_text()))
    return tmp, table, refs


def test_uninterrupted_runs_are_identical(setup):
    tmp, table, refs = setup
    assert _in_child(lambda: _train(table, tmp/'again')) == 0
    assert_same_run(refs['ref'][0], _run_folder(tmp/'again'))


def test_kill_at_every_rename_resumes_to_the_same_run(setup):
    tmp, table, refs = setup
    ref, n_renames = refs['ref_lr']
    assert n_renames >= 20, n_renames  # tables, recipe, status, 3 epochs (best, state, progress), 2 phase ends, the run's files
    for n in range(1, n_renames + 1):
        out = tmp/f'kill{n}'
        assert _in_child(lambda: (_kill_at_rename(n), _train(table, out, recipe=FIXED_LR))) == -signal.SIGKILL, n
        assert _in_child(lambda: _finish(table, out, recipe=FIXED_LR)) == 0, f"resume after a kill at rename {n} failed"
        assert_same_run(ref, _run_folder(out))


class KillAt(Callback):
    "SIGKILL the process after training batch `batch` of epoch `epoch` of the `fit`-th fit (lr_find's not counted)"
    def __init__(self, fit, epoch, batch): self.at, self.fits = (fit, epoch, batch), -1
    def before_fit(self):
        if not hasattr(self.learn, 'lr_finder'): self.fits += 1
    def after_batch(self):
        if self.training and not hasattr(self.learn, 'lr_finder') and (self.fits, self.epoch, self.iter) == self.at: os.kill(os.getpid(), signal.SIGKILL)


# the first epoch: nothing to resume, a fresh start in the same folder; the phase's second epoch: resumed mid-phase;
# the second stage's epoch: resumed at a phase boundary, where lr_find runs again from the restored random states
@pytest.mark.parametrize('fit,epoch', [(0, 0), (0, 1), (1, 0)])
def test_kill_mid_epoch_resumes_to_the_same_run(setup, fit, epoch):
    tmp, table, refs = setup
    out = tmp/f'mid{fit}{epoch}'
    assert _in_child(lambda: _train(table, out, callbacks=[KillAt(fit, epoch, 1)])) == -signal.SIGKILL
    ck = _run_folder(out)/'checkpoint'/'progress.json'
    before = json.loads(ck.read_text())['seconds'] if ck.exists() else 0.
    assert _in_child(lambda: _finish(table, out)) == 0
    assert_same_run(refs['ref'][0], _run_folder(out))
    meta = json.loads((_run_folder(out)/'model.json').read_text())
    assert meta['seconds'] > before, (meta['seconds'], before)  # the time trained before the kill counts


@pytest.mark.slow
def test_strace_kill_at_every_rename(setup):
    "`imgclf train` under strace, SIGKILLed at each rename (the kernel's, safetensors' own included), then `--resume RUN` alone"
    tmp, table, _ = setup
    if not shutil.which('strace'): pytest.fail("strace is not installed (apt-get install strace)")
    exe = Path(sys.executable).with_name('imgclf')
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    args = [str(exe), 'train', str(tmp/'tiny'), '--arch', 'simple_cnn', '--channels', '3', '--sizes', '16,24', '--epochs', '2,1',
            '--bs', '8', '--lr-find-iters', '5', '--aug', 'default', '--num-workers', '0', '--seed', '0', '--quiet']
    def imgclf(*extra, syscall=None, n=None):
        pre = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', f'trace={syscall}', '-e', f'inject={syscall}:signal=KILL:when={n}'] if n else []
        return subprocess.run(pre + [str(x) for x in extra], capture_output=True, text=True, env=env, timeout=600)
    assert imgclf(*args, '--out', tmp/'sref').returncode == 0
    ref = _run_folder(tmp/'sref')
    for syscall in ('rename', 'renameat'):  # ours (os.replace), then safetensors' own inside each weights file write
        for n in range(1, 60):
            out = tmp/f'strace-{syscall}{n}'
            r = imgclf(*args, '--out', out, syscall=syscall, n=n)
            if r.returncode == 0: break  # past the last one
            runs = [p for p in out.iterdir() if p.is_dir()] if out.is_dir() else []
            r = imgclf(exe, 'train', '--resume', runs[0], '--quiet') if runs else imgclf(*args, '--out', out)
            assert r.returncode == 0 and 'Traceback' not in r.stderr, (syscall, n, r.stderr)
            assert_same_run(ref, _run_folder(out))
        else: pytest.fail("the run never finished under strace")
