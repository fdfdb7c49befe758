#!/usr/bin/env python
"""Test notebooks as `nbdev-test NB` does, each in its own process, two at a time, without paying the imports each time.

`nbdev-test NB` in a fresh process spends 8-10 s importing torch, torchvision, timm and fastai before the first cell
(`python -X importtime -c "import image_classification.train"`: 7.6 s here); over ~35 notebooks that is about a
sixth of CI's time. Here a multiprocessing forkserver imports the package and nbdev once; each notebook then runs in a
child forked from that clean server (it ran no computation, so no thread pool is copied), with its own cwd, fds and
exit status, through `nbdev.test.nbdev_test` itself (the project's flags, cell timeout and sys.path).

Usage: `tools/nbtest.py LOGDIR NB [NB ...]` (`-j N`: N at a time, default 2). Writes `LOGDIR/<nb path with / as _>.out`
per notebook and appends `ok|fail SECONDSs NB` lines to `LOGDIR/res`, as tools/test.sh reads them."""
import argparse, os, sys, time, multiprocessing as mp
from multiprocessing.connection import wait

def _one(nb, out):
    mp.set_start_method('fork', force=True)  # what a fresh `nbdev-test` process has on Linux
    f = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); os.dup2(f, 1); os.dup2(f, 2); os.close(f)
    from nbdev.test import nbdev_test
    try: nbdev_test(path=nb); code = 0
    except SystemExit as e: code = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback; traceback.print_exc(); code = 1
    sys.stdout.flush(); sys.stderr.flush()
    sys.exit(code or 0)  # through multiprocessing's own exit: its finalizers release the semaphores a command made

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('logdir'); p.add_argument('nbs', nargs='+'); p.add_argument('-j', type=int, default=2)
    a = p.parse_args()
    ctx = mp.get_context('forkserver')
    ctx.set_forkserver_preload(['image_classification.all', 'nbdev.test', 'execnb.shell', 'matplotlib.pyplot'])
    todo, running = list(a.nbs), {}
    while todo or running:
        while todo and len(running) < a.j:
            nb = todo.pop(0)
            proc = ctx.Process(target=_one, args=(nb, os.path.join(a.logdir, nb.replace('/', '_') + '.out')))
            proc.start(); running[proc.sentinel] = (proc, nb, time.time())
        for s in wait(list(running)):
            proc, nb, t0 = running.pop(s); proc.join()
            with open(os.path.join(a.logdir, 'res'), 'a') as f:
                f.write(f"{'ok' if proc.exitcode == 0 else 'fail'} {round(time.time() - t0)}s {nb}\n")

if __name__ == '__main__': main()
