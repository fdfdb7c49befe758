"Command-line tests of issue 8 (performance): `imgclf export` to ONNX, `imgclf predict --engine onnx`, `imgclf bench`."
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import imgclf
from image_classification.data import read_table, split_table
from image_classification.datasets import make_tiny


@pytest.fixture(scope='module')
def tiny_run(tmp_path_factory):
    "A run trained in-process on the tiny set (one epoch, 32 px), and its held-back test folder"
    from image_classification.config import TrainConfig
    from image_classification.train import train
    warnings.filterwarnings('ignore')
    d = tmp_path_factory.mktemp('perf')
    root = make_tiny(d/'tiny', n_per_class=8, test_per_class=2)
    table = split_table(read_table(root), 'stratified', valid_pct=0.25, seed=0)
    run = train(TrainConfig(arch='simple_cnn', pretrained=False, channels=3, sizes=[32], epochs=[1], bs=8, lr=3e-3,
                            num_workers=0), table, out=d/'exp', quiet=True)
    return run.folder, Path(f'{root}_test')


def test_export_onnx(tiny_run, tmp_path):
    folder, _ = tiny_run
    out = tmp_path/'m.onnx'
    code, stdout, err = imgclf('export', folder, '--onnx', '--out', out)
    assert code == 0, stdout + err
    assert out.stat().st_size > 0 and 'ONNX Runtime matches PyTorch within' in stdout
    saved = yaml.safe_load((tmp_path/'export_config.yaml').read_text())
    assert saved['source'] == str(folder) and 'quiet' not in saved
    import onnxruntime as ort
    meta = ort.InferenceSession(str(out), providers=['CPUExecutionProvider']).get_modelmeta().custom_metadata_map
    assert '"classes"' not in meta and 'classes' in meta and 'pipeline' in meta


def test_export_errors(tiny_run, tmp_path):
    folder, _ = tiny_run
    code, out, err = imgclf('export', tmp_path/'nope')
    assert code == 2 and 'no such run' in err and 'Traceback' not in err
    code, out, err = imgclf('export', folder, '--out', tmp_path/'m.pt')
    assert code == 2 and 'must end in .onnx' in err


def test_predict_onnx_engine(tiny_run, tmp_path):
    "ONNX Runtime predicts the labels PyTorch predicts (once `imgclf predict` has the --engine option)"
    folder, test = tiny_run
    runs = {}
    for engine in ('torch', 'onnx'):
        code, out, err = imgclf('predict', folder, test, '--out', tmp_path/f'{engine}.csv', '--engine', engine, '--topk', '3', '--quiet')
        assert code == 0, out + err
        runs[engine] = pd.read_csv(tmp_path/f'{engine}.csv')
    assert runs['onnx']['label'].tolist() == runs['torch']['label'].tolist()
    np.testing.assert_allclose(runs['onnx']['prob_1'], runs['torch']['prob_1'], atol=1e-4)


def test_bench_quick(tmp_path):
    code, out, err = imgclf('bench', '--quick', '--parts', 'loop', '--out', tmp_path, '--quiet')
    assert code == 0, out + err
    table = pd.read_csv(tmp_path/'bench_loop.csv')
    assert table['method'].tolist() == ['plain', 'fastai', 'kit'] and (table['train_img_s'] > 0).all()
    assert (tmp_path/'bench_loop.md').read_text().startswith('## Training')
    assert yaml.safe_load((tmp_path/'bench_config.yaml').read_text())['quick'] is True
    code, out, err = imgclf('bench', '--parts', 'gpu', '--out', tmp_path)
    assert code == 2 and "unknown part 'gpu'" in err
