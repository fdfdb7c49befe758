"""`imgclf` run in a child forked from a server that has already imported the package (multiprocessing's forkserver).

Starting `imgclf` costs 8-10 s of imports (torch, torchvision, timm, fastai: `python -X importtime`), paid again by every
subprocess. A forkserver imports them once per pytest worker; each command then runs in a fresh child process forked
from that clean server (it never ran a computation), so a command still has its own process, exit status, threads and
file descriptors, and the caller's working folder and environment at the call, as the console script does (only what
was read at import, such as OMP_NUM_THREADS by OpenMP, is the server's). `tests/conftest.py`'s `imgclf` uses it
unless `IMGCLF_TEST_SUBPROCESS=1`; `test_help` runs the installed console script itself."""
import io, os, sys, traceback, multiprocessing as mp, subprocess, tempfile
from pathlib import Path

PRELOAD = ['image_classification.cli', 'image_classification.all']
_ctx = None

def _context():
    global _ctx
    if _ctx is None:
        _ctx = mp.get_context('forkserver')
        _ctx.set_forkserver_preload(PRELOAD)
    return _ctx

def _child(args, cwd, env, out, err):
    "Run `imgclf *args` as the console script would: fds 1 and 2 to files, the exit status as the process's"
    mp.set_start_method('fork', force=True)  # the default of a console script on Linux (a forkserver child inherits 'forkserver': DataLoader workers would need picklable transforms)
    os.environ.clear(); os.environ.update(env)  # the caller's environment now, as subprocess passes it (what torch read at import stays the server's)
    os.chdir(cwd)
    for fd, path in ((1, out), (2, err)):
        f = os.open(path, os.O_WRONLY | os.O_TRUNC); os.dup2(f, fd); os.close(f)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, 'w', closefd=False), line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, 'w', closefd=False), line_buffering=True)
    sys.argv = ['imgclf', *args]
    from image_classification.cli import main
    try: code = main(args)
    except SystemExit as e: code = e.code if isinstance(e.code, int) else (0 if e.code is None else (print(e.code, file=sys.stderr), 1)[1])
    except BaseException: traceback.print_exc(); code = 1
    sys.stdout.flush(); sys.stderr.flush()
    sys.exit(code or 0)  # through multiprocessing's own exit: its finalizers release the semaphores a command made

def run(args, cwd=None, env=None, timeout=600):
    "(exit code, stdout, stderr) of `imgclf *args` in a child of the forkserver"
    args = [str(a) for a in args]
    with tempfile.TemporaryDirectory() as d:
        out, err = Path(d)/'out', Path(d)/'err'
        out.touch(); err.touch()
        p = _context().Process(target=_child, args=(args, str(cwd or os.getcwd()), dict(os.environ if env is None else env), str(out), str(err)))
        p.start(); p.join(timeout)
        if p.is_alive():
            p.kill(); p.join()
            raise subprocess.TimeoutExpired(['imgclf', *args], timeout, out.read_text(), err.read_text())
        return p.exitcode, out.read_text(), err.read_text()
