"""Data-parallel training on CPUs (gloo), launched the way a user types it: `torchrun --nproc_per_node 2 $(which imgclf)
train ...` and `accelerate launch --multi_gpu --num_processes 2 $(which imgclf) train ...`.

- One run folder, written by rank 0 alone. Every process of a launch runs with an audit hook (`sitecustomize`, put on
  PYTHONPATH for the launch only) that records each file it creates, writes, renames or deletes under the experiment
  folder: rank 1's record must be empty, rank 0's must hold the run (the hook is seen working).
- Two processes at batch b train as one process at batch 2b: with no BatchNorm, no dropout and no augmentation the
  weights agree within 1e-4 (`distrib.ShardedDL` shards each global batch), and so do the scores. The pair of runs
  goes through a collapse restart too (`COLLAPSE`, in `sitecustomize`, makes the classifier answer one class from
  each fit's second epoch): the phase starts again (`one_answer`) in both processes together, as in one process.
- A run killed (SIGKILL, the whole launch) after a checkpoint resumes, under the other launcher, into a finished run.
"""
import json, os, socket, subprocess, sys, time
from pathlib import Path

import numpy as np, psutil, pytest
from safetensors.torch import load_file

from image_classification.datasets import make_tiny

BIN = Path(sys.executable).parent
AUDIT = '''
import atexit, json, os, sys
_root, _log = os.environ.get('IMGCLF_AUDIT_ROOT'), os.environ.get('IMGCLF_AUDIT_LOG')
if _root and _log and 'RANK' in os.environ:  # the launch's processes, not the launcher
    _seen = []
    _WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    def _hook(event, args):
        if event == 'open': path, writes = args[0], (args[1] and any(c in args[1] for c in 'wax+')) or (args[1] is None and args[2] & _WRITE)
        elif event in ('os.rename', 'os.remove', 'os.rmdir', 'os.mkdir', 'shutil.rmtree', 'os.truncate', 'os.link', 'os.symlink'): path, writes = args[0], True
        else: return
        if writes and isinstance(path, (str, bytes, os.PathLike)) and os.path.abspath(os.fsdecode(path)).startswith(_root):
            _seen.append(f"{event} {os.fsdecode(path)}")
    sys.addaudithook(_hook)
    atexit.register(lambda: open(f"{_log}.{os.environ.get('RANK', '0')}", 'w').write(json.dumps(_seen)))
'''
# a model without BatchNorm or dropout, no augmentation, a fixed learning rate: nothing random differs between the processes
EXACT = ['--arch', 'simple_cnn', '--no-pretrained', '--channels', '3', '--sizes', '32', '--epochs', '1', '--lr', '1e-2', '--aug', 'none',
         '--class-weights', 'none', '--num-workers', '0', '--head-dropout', '0', '--arch-kwargs', '{bn: false, dropout: 0}', '--seed', '0', '--quiet']



# A classifier that answers class 1 for every image from each fit's second epoch on (40_train's `OneAnswer`), put into
# every `imgclf` process of a launch by `sitecustomize`: the collapse restart of `one_answer`, decided on the gathered
# validation predictions, must be taken by both processes together.
COLLAPSE = '''
import os
if os.environ.get('IMGCLF_TEST_COLLAPSE') and ('RANK' in os.environ or os.environ['IMGCLF_TEST_COLLAPSE'] == 'single'):
    import torch
    import image_classification.train as T
    from fastai.callback.core import Callback
    class _OneAnswer(Callback):
        def before_validate(self):
            if self.epoch >= 1 and not hasattr(self.learn, 'lr_finder'):
                fc = [m for m in self.learn.model.modules() if isinstance(m, torch.nn.Linear)][-1]
                with torch.no_grad(): fc.weight.zero_(); fc.bias.zero_(); fc.bias[1] = 10.
    T.COLLAPSE_MIN_IMAGES = 0  # the tiny set's few validation images count
    _make = T.make_learner
    def _make_learner(*args, **kwargs):
        learn = _make(*args, **kwargs); learn.add_cb(_OneAnswer()); return learn
    T.make_learner = _make_learner
'''


def _port()->str:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return str(s.getsockname()[1])

def _env(tmp:Path, root:Path|None=None, collapse:str|None=None)->dict:
    "The launch's environment: one torch thread per process; with `root`, the audit hook in every process; with `collapse` ('launch' or 'single'), `COLLAPSE` too"
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MPLBACKEND': 'Agg'}
    if root is not None:
        (tmp/'audit').mkdir(exist_ok=True); (tmp/'audit'/'sitecustomize.py').write_text(AUDIT + COLLAPSE)
        env.update(PYTHONPATH=os.pathsep.join([str(tmp/'audit'), *filter(None, [env.get('PYTHONPATH')])]),
                   IMGCLF_AUDIT_ROOT=str(root.resolve()), IMGCLF_AUDIT_LOG=str(tmp/'audit'/'log'))
    if collapse: env['IMGCLF_TEST_COLLAPSE'] = collapse
    return env

def torchrun(*args)->list: return [str(BIN/'torchrun'), '--nproc_per_node', '2', '--master_port', _port(), str(BIN/'imgclf'), *map(str, args)]
def accelerate(*args)->list:
    return [str(BIN/'accelerate'), 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no',
            '--dynamo_backend', 'no', '--main_process_port', _port(), str(BIN/'imgclf'), *map(str, args)]

def _files(folder:Path)->list:
    "Every file under `folder`, the run folder's name replaced by RUN"
    run = next(p.name for p in folder.iterdir() if p.is_dir())
    return sorted(str(p.relative_to(folder)).replace(run, 'RUN') for p in folder.rglob('*') if p.is_file())


def test_torchrun_two_processes_train_as_one_at_twice_the_batch(tmp_path):
    "2 processes at batch 4 = 1 at batch 8, through a collapse restart (one pair of runs checks both: a pair costs half a minute of CI)"
    data, two, one = make_tiny(tmp_path/'tiny', n_per_class=16), tmp_path/'two', tmp_path/'one'
    recipe = [a if a != '1' else '3' for a in EXACT]  # three epochs: the collapse at epoch 1, the restarted phase's at its epoch 1
    r = subprocess.run(torchrun('train', data, *recipe, '--bs', 4, '--out', two), capture_output=True, text=True, env=_env(tmp_path, two, 'launch'), timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    s = subprocess.run([str(BIN/'imgclf'), *map(str, ['train', data, *recipe, '--bs', 8, '--threads', 1, '--out', one])], capture_output=True,
                       text=True, env=_env(tmp_path, two, 'single'), timeout=600)  # the console script: sitecustomize runs (not a fork of the test server)
    assert s.returncode == 0, s.stdout[-3000:] + s.stderr[-3000:]
    # one run folder, the files of a single-process run, printed once
    assert len([p for p in two.iterdir() if p.is_dir()]) == 1 and _files(two) == _files(one), (_files(two), _files(one))
    assert r.stdout.count('run: ') == 1 and 'data parallel: 2 processes (gloo), batch 4 per process, 8 per step' in r.stdout, r.stdout
    # rank 0 wrote them all, rank 1 nothing; nothing changed after rank 0 marked the run finished
    audit = {k: json.loads((tmp_path/'audit'/f'log.{k}').read_text()) for k in (0, 1)}
    assert audit[1] == [], audit[1]
    assert any('model.safetensors' in e for e in audit[0]) and any('data.csv' in e for e in audit[0]), audit[0]
    run = next(p for p in two.iterdir() if p.is_dir())
    assert json.loads((run/'status.json').read_text())['status'] == 'finished'
    assert max(f.stat().st_mtime_ns for f in run.iterdir()) == (run/'status.json').stat().st_mtime_ns  # the last write of the run
    # unwrapped weights: those of one process at twice the batch
    a, b = load_file(str(run/'model.safetensors')), load_file(str(next(p for p in one.iterdir() if p.is_dir())/'model.safetensors'))
    assert set(a) == set(b) and not any(k.startswith('module.') for k in a)
    assert max(float((a[k] - b[k]).abs().max()) for k in a) < 1e-4
    meta2, meta1 = (json.loads((next(p for p in f.iterdir() if p.is_dir())/'model.json').read_text()) for f in (two, one))
    assert abs(meta2['metrics']['accuracy'] - meta1['metrics']['accuracy']) < 1e-9 and meta2['data_parallel'] == dict(processes=2, batch_per_process=4, batch=8)
    assert np.abs(np.load(run/'valid_probs.npy') - np.load(next(p for p in one.iterdir() if p.is_dir())/'valid_probs.npy')).max() < 1e-4
    # the collapse restart, decided on the gathered validation predictions, taken by both processes as by one
    w = [x for x in meta2['warnings'] if 'for every validation image' in x]
    assert len(w) == 2 and 'the phase starts again from the best epoch so far' in w[0] and 'started again' in w[1], meta2['warnings']
    assert meta2['warnings'] == meta1['warnings'] and meta2['lrs'] == meta1['lrs'] == [5e-3], (meta2['warnings'], meta1['warnings'])
    h2, h1 = (np.genfromtxt(next(p for p in f.iterdir() if p.is_dir())/'history.csv', delimiter=',', names=True) for f in (two, one))
    assert h2['epoch'].tolist() == h1['epoch'].tolist() == [0, 1, 2, 3, 4] and h2['phase_epoch'].tolist() == [0, 1, 0, 1, 2], (h2, h1)


@pytest.mark.slow  # over a minute of CI's two cores (61-71 s measured there): CI skips it (its 20-minute limit); run with --slow
def test_accelerate_launch_killed_then_resumed_by_torchrun(tmp_path):
    data, out = make_tiny(tmp_path/'tiny', n_per_class=12), tmp_path/'runs'
    recipe = ['--arch', 'simple_cnn', '--no-pretrained', '--channels', '3', '--sizes', '16,24', '--epochs', '4,2', '--bs', '4', '--lr', 'find',
              '--lr-find-iters', '8', '--aug', 'default', '--num-workers', '0', '--seed', '0', '--quiet']
    p = subprocess.Popen(accelerate('train', data, *recipe, '--out', out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=_env(tmp_path))
    t0, ck = time.time(), None
    while ck is None and p.poll() is None and time.time() - t0 < 300:
        ck = next(iter(out.glob('*/checkpoint/progress.json')), None) if out.is_dir() else None
        time.sleep(0.05)
    for proc in [*psutil.Process(p.pid).children(recursive=True), psutil.Process(p.pid)]: proc.kill()  # the launch, no cleanup (its workers have sessions of their own)
    log = p.communicate()[0]
    assert ck is not None, log[-3000:]
    run = ck.parent.parent
    assert not (run/'model.json').exists() and json.loads((run/'status.json').read_text())['status'] == 'running'  # killed mid-run
    r = subprocess.run(torchrun('train', '--resume', run, '--quiet'), capture_output=True, text=True, env=_env(tmp_path), timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert 'warning: resumed' not in r.stdout, r.stdout  # the same number of processes
    meta = json.loads((run/'model.json').read_text())
    assert meta['status'] == 'finished' and meta['data_parallel']['processes'] == 2 and len(meta['lrs']) == 2
    hist = (run/'history.csv').read_text().splitlines()
    assert len(hist) == 1 + 6, hist  # every epoch once
    assert len([p for p in out.iterdir() if p.is_dir()]) == 1 and not (run/'checkpoint').exists()
    assert len((out/'results.csv').read_text().splitlines()) == 2
