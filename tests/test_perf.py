"Command-line tests of issue 8 (performance): `imgclf export` to ONNX, `imgclf predict --engine onnx`, `imgclf bench`."
import re, warnings
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


def test_bench_steps_targets(tmp_path):
    "Issue 19's CPU gate: per steady-state training step the kit makes no host synchronisation and at most 1.10x the tuned plain loop's operations"
    code, out, err = imgclf('bench', '--parts', 'steps', '--out', tmp_path/'b', '--quiet')
    assert code == 0, out + err
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r'steps: kit/plain ops per step (\d+\.\d\d), kit syncs per step (\d+\.\d)', last)
    assert m, last
    assert float(m.group(2)) == 0 and float(m.group(1)) <= 1.10, last
    steps = pd.read_csv(tmp_path/'b'/'bench_steps.csv')
    assert set(steps['case']) == {'simple_cnn@32', 'resnet34@64'} and set(steps['method']) == {'plain', 'fastai', 'kit'}
    assert (steps[steps.method == 'fastai']['syncs_per_step'] > 0).all()  # the counter does find fastai's per-batch syncs


def test_gpu_script_runs_on_a_cpu(tmp_path):
    "benchmarks/gpu.sh end to end on this machine (QUICK): without CUDA it skips the GPU rows and says so, and still counts steps, runs the demo and the default training; its `imgclf demo --quick` is also the CLI's demo test"
    import os, subprocess, sys
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, 'QUICK': '1', 'PYTHON': sys.executable}
    r = subprocess.run(['bash', str(root/'benchmarks'/'gpu.sh'), '--out', str(tmp_path), '--no-benchmarks-md', '--work', str(tmp_path/'work')],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    import torch
    if not torch.cuda.is_available():
        assert "no CUDA device: the loop benchmark's GPU rows are skipped" in r.stdout and not (tmp_path/'gpu_loop.csv').exists()
        assert 'every GPU figure is still owed' in (tmp_path/'gpu_summary.md').read_text()
    runs = pd.read_csv(tmp_path/'gpu_runs.csv')
    assert runs['step'].str.startswith('imgclf demo').any() and runs['step'].str.startswith('imgclf train').any()
    assert pd.read_csv(tmp_path/'gpu_steps.csv').query("method == 'kit'")['syncs_per_step'].max() == 0
    assert r.stdout.strip().splitlines()[-1].startswith('steps: kit/plain ops per step')
    # `imgclf demo --quick` (the same command a user runs; one run of it serves both tests, each a minute on 2 cores)
    demo = tmp_path/'work'/'demo'
    assert (demo/'experiment'/'results.csv').exists() and (demo/'experiment'/'report'/'report.html').exists()
    assert set(pd.read_csv(demo/'experiment'/'results.csv')['arch']) >= {'simple_cnn', 'tf_efficientnet_lite0'}
    sub = pd.read_csv(demo/'submission.csv')
    assert {'image_path', 'label', 'target'} <= set(sub.columns) and len(sub) == 30  # 3 held-back icons x 10 classes
    report = (demo/'experiment'/'report'/'REPORT.md').read_text()
    assert '## Held-back test set' in report and 'on 30 images, predicted by the weighted ensemble' in report, report[:2000]
