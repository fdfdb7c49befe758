"""Progress output as a log file sees it: `imgclf train ... > log` (stdout a file, not a terminal) has one readable
line per epoch with its metrics, a line per stage, lr_find and decoding, and no bar frames; `imgclf predict --tta`
says what it predicts with and prints no training table."""
import re
from pathlib import Path

from conftest import imgclf
from image_classification.datasets import make_tiny

FRAMES = ('\r', '█', '|----')  # what a bar leaves in a file


def test_piped_train_log_is_one_line_per_epoch(tmp_path):
    root = make_tiny(tmp_path/'tiny', n_per_class=8, test_per_class=2)
    code, out, err = imgclf('train', root, '--arch', 'simple_cnn', '--no-pretrained', '--sizes', '32,40', '--epochs', '2,1', '--bs', '8',
                            '--lr', 'find', '--lr-find-iters', '10', '--aug', 'none', '--num-workers', '0', '--out', tmp_path/'runs')
    assert code == 0, out + err
    log = out + err
    assert not any(f in log for f in FRAMES), repr(log[:500])
    epochs = [l for l in out.splitlines() if re.search(r': epoch \d+/\d+  train_loss ', l)]
    assert [re.search(r'stage (\d)/2: (\d+) px.*epoch (\d)/(\d)', l).groups() for l in epochs] == \
           [('1', '32', '1', '2'), ('1', '32', '2', '2'), ('2', '40', '1', '1')], out
    assert all(' valid_loss ' in l and ' accuracy ' in l for l in epochs), epochs
    lines = out.splitlines()
    assert 'stage 1/2: 32 px, 2 epochs' in lines and 'stage 2/2: 40 px, 1 epoch' in lines, out
    assert sum(l.startswith('finding the learning rate: ') for l in lines) == 2, out  # one per stage
    assert any(l.startswith('checking images: 24 images in ') for l in lines), out
    assert any(l.startswith('decoding images into the cache: ') for l in lines), out
    assert 'epoch     train_loss' not in out  # no fastai table header

    run = out.split('run: ')[1].split()[0]
    code, out, err = imgclf('predict', run, f'{root}_test', '--tta', '--out', tmp_path/'sub.csv')
    assert code == 0, out + err
    assert not any(f in out + err for f in FRAMES) and 'train_loss' not in out, out
    views = [l for l in out.splitlines() if l.startswith('TTA view ')]
    assert [l.split(' of ')[0] for l in views] == [f'TTA view {i}/5' for i in range(1, 6)], out  # 4 augmented views + the plain one
    assert f'predicted with the run {run}' in out, out


def test_quiet_prints_no_progress(tmp_path):
    root = make_tiny(tmp_path/'tiny', n_per_class=6)
    code, out, err = imgclf('train', root, '--arch', 'simple_cnn', '--no-pretrained', '--sizes', '32', '--epochs', '1', '--bs', '8',
                            '--lr', '3e-3', '--aug', 'none', '--num-workers', '0', '--out', tmp_path/'runs', '--quiet')
    assert code == 0, out + err
    assert 'epoch' not in out and 'checking images' not in out and 'decoding' not in out, out
