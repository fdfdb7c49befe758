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
