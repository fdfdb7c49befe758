import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

os.environ.setdefault('OMP_NUM_THREADS', '2'); os.environ['MPLBACKEND'] = 'Agg'  # before any import of torch or matplotlib

def imgclf_script(*args, cwd=None, timeout=600):
    "Run the installed `imgclf` console script in a subprocess; return (exit code, stdout, stderr)"
    exe = Path(sys.executable).with_name('imgclf')
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout, env=dict(os.environ))
    return r.returncode, r.stdout, r.stderr

def imgclf(*args, cwd=None, timeout=600):
    "Run `imgclf *args` in its own process; return (exit code, stdout, stderr). The process is forked from a server that has imported the package (`_forkcli`: 8-10 s less a command); `IMGCLF_TEST_SUBPROCESS=1` runs the console script instead"
    if os.environ.get('IMGCLF_TEST_SUBPROCESS') == '1': return imgclf_script(*args, cwd=cwd, timeout=timeout)
    from _forkcli import run
    return run(args, cwd=cwd, timeout=timeout)

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
