"End-to-end tests of `imgclf recheck` and `imgclf pseudo`, each in a subprocess as a user would run them."
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import imgclf
from image_classification.data import read_table, split_table
from image_classification.datasets import make_tiny
from image_classification.kfold import kfold
from image_classification.inference import read_test_table
from image_classification.predict import predict
from image_classification.config import TrainConfig
from image_classification.train import train

RECIPE = ['--arch', 'simple_cnn', '--no-pretrained', '--sizes', '32', '--epochs', '1', '--lr', '3e-3', '--bs', '8', '--aug', 'none']


def _cfg(): return TrainConfig(arch='simple_cnn', pretrained=False, sizes=[32], epochs=[1], bs=8, lr=3e-3, aug='none',
                               num_workers=0)  # the recipe RECIPE gives on the command line


def _error_lines(err:str)->list:
    "stderr without the Python warnings a library may print while the command's module is imported"
    lines = err.strip().splitlines()
    return [l for i, l in enumerate(lines) if 'Warning: ' not in l and not (i and 'Warning: ' in lines[i - 1] and l.startswith(' '))]


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    return make_tiny(tmp_path_factory.mktemp('data')/'tiny', n_per_class=12, test_per_class=4)


def test_recheck_command(tiny, tmp_path):
    "A k-fold folder in, a re-check folder out: the specialist changed only predictions inside its pair"
    kf = kfold(_cfg(), read_table(tiny), k=3, out=tmp_path/'kf', seed=0)
    code, out, err = imgclf('recheck', tmp_path/'kf', '--pairs', '1', '--out', tmp_path/'rc', '--quiet')
    assert code == 0, out + err
    assert 're-check of' in out and 'written:' in out
    for f in ('recheck.json', 'recheck.csv', 'recheck_probs.npy', 'recheck_config.yaml'):
        assert (tmp_path/'rc'/f).is_file(), f
    info = json.loads((tmp_path/'rc'/'recheck.json').read_text())
    assert info['mode'] == 'out-of-fold' and info['n_rows'] == len(kf.table)
    assert abs(info['accuracy_before'] - kf.oof_accuracy) < 1e-9
    pair = info['pairs'][0]
    assert len(pair['runs']) == 3 and all((tmp_path/'rc'/r/'model.json').is_file() for r in pair['runs'])
    rows = pd.read_csv(tmp_path/'rc'/'recheck.csv')
    moved = rows[rows['main'] != rows['rechecked']]
    assert moved['main'].isin(pair['classes']).all() and moved['rechecked'].isin(pair['classes']).all()
    assert len(moved) == info['rows_changed']
    probs = np.load(tmp_path/'rc'/'recheck_probs.npy')
    assert probs.shape == kf.oof_probs.shape
    conf = yaml.safe_load((tmp_path/'rc'/'recheck_config.yaml').read_text())
    assert conf['source'] == str(tmp_path/'kf') and conf['pairs'] == 1 and 'quiet' not in conf and 'config' not in conf
    # the re-check at prediction time: `imgclf predict ... --recheck` changes only labels inside the pair, as the API does
    for name, extra in (('sub.csv', []), ('sub_rc.csv', ['--recheck', tmp_path/'rc'])):
        code, out, err = imgclf('predict', tmp_path/'kf', f'{tiny}_test', '--out', tmp_path/name, '--quiet', *extra)
        assert code == 0, out + err
    plain, rc = pd.read_csv(tmp_path/'sub.csv'), pd.read_csv(tmp_path/'sub_rc.csv')
    assert plain['image_path'].tolist() == rc['image_path'].tolist()
    moved = plain['label'] != rc['label']
    assert plain['label'][moved].isin(pair['classes']).all() and rc['label'][moved].isin(pair['classes']).all()
    api = predict(tmp_path/'kf', read_test_table(f'{tiny}_test', test=True), recheck=tmp_path/'rc', num_workers=0, progress=False)
    assert api['label'].tolist() == rc['label'].tolist()
    code, out, err = imgclf('predict', tmp_path/'kf', f'{tiny}_test', '--recheck', tmp_path/'kf', '--out', tmp_path/'x.csv', '--quiet')
    assert code == 2 and 'no recheck.json' in out + err


def test_pseudo_command(tiny, tmp_path):
    "Confident test images join training as pseudo rows, never as validation rows; the change is reported"
    table = split_table(read_table(tiny), 'stratified', valid_pct=0.2, seed=42)  # the command's own split
    src = train(_cfg(), table, out=tmp_path/'src', quiet=True).folder
    code, out, err = imgclf('pseudo', tiny, '--source', src, '--test', f'{tiny}_test', '--threshold', '0.4', *RECIPE,
                            '--out', tmp_path/'pl', '--quiet')
    assert code == 0, out + err
    assert 'pseudo-labelled' in out and 'validation accuracy' in out
    for f in ('pseudo.json', 'pseudo_rows.csv', 'pseudo_config.yaml'):
        assert (tmp_path/'pl'/f).is_file(), f
    info = json.loads((tmp_path/'pl'/'pseudo.json').read_text())
    assert 0 < info['n_added'] <= 12 and abs(info['change'] - (info['accuracy_after'] - info['accuracy_before'])) < 1e-9
    used = pd.read_csv(Path(info['pseudo']['run']).parent/'data.csv')
    assert used['pseudo'].sum() == info['n_added']
    assert set(used.loc[used['pseudo'], 'split']) == {'train'}
    assert used.loc[used['split'] == 'valid', 'path'].tolist() == table.loc[table['split'] == 'valid', 'path'].tolist()
    assert info['baseline']['run'] == str(src)  # the source is this recipe on this split: it is the baseline, not retrained
    conf = yaml.safe_load((tmp_path/'pl'/'pseudo_config.yaml').read_text())
    assert conf['threshold'] == 0.4 and conf['model'] == str(src) and conf['arch'] == 'simple_cnn'


def test_bad_arguments(tiny, tmp_path):
    "A user mistake: exit 2 with one line, no traceback (an unknown re-check source is tested in nbs/70_specialist)"
    code, out, err = imgclf('pseudo', tiny, '--source', tmp_path/'nowhere', '--test', f'{tiny}_test', '--threshold', '1.5',
                            *RECIPE, '--out', tmp_path/'pl', '--quiet')
    assert code == 2 and len(_error_lines(err)) == 1 and 'threshold must be in (0, 1]' in err, err
    assert 'Traceback' not in out + err
