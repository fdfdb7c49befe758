import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def imgclf(*args, cwd=None, timeout=600):
    "Run the `imgclf` console script in a subprocess; return (exit code, stdout, stderr)"
    exe = Path(sys.executable).with_name('imgclf')
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '2'), 'MPLBACKEND': 'Agg'}
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=env)
    return r.returncode, r.stdout, r.stderr

@pytest.fixture
def run_imgclf(): return imgclf


def pytest_addoption(parser):
    parser.addoption('--slow', action='store_true', help="also run the tests marked slow (minutes)")

def pytest_configure(config):
    config.addinivalue_line('markers', "slow: takes minutes; run with --slow")

def pytest_collection_modifyitems(config, items):
    if config.getoption('--slow'): return
    for item in items:
        if 'slow' in item.keywords: item.add_marker(pytest.mark.skip(reason="slow: run with pytest --slow"))
