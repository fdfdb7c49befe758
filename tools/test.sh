#!/usr/bin/env bash
# Run every test: notebooks (nbdev-test, slow/gpu cells skipped), pytest, and the checks that the
# exported package and the cleaned notebooks are what is committed. Ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg PYTHONWARNINGS=ignore::DeprecationWarning
passed=0; failed=0; t0=$SECONDS
TMPDIR_LI=$(mktemp)
ok()   { passed=$((passed+1)); echo "PASS $*"; }
bad()  { failed=$((failed+1)); echo "FAIL $*"; }

# 1. nbdev-export must leave the package unchanged, nbdev-clean the notebooks.
before=$(git status --porcelain -- image_classification nbs)
python tools/sync_index.py && nbdev-export >/dev/null && nbdev-clean >/dev/null
after=$(git status --porcelain -- image_classification nbs)
if [ "$before" == "$after" ] && git diff --quiet -- image_classification nbs; then ok "sync_index/nbdev-export/nbdev-clean leave the tree unchanged"
else bad "nbdev-export/nbdev-clean changed files:"; git status --short -- image_classification nbs; git diff --stat -- image_classification nbs; fi

# 1b. The layers contract (pyproject.toml [tool.importlinter]): imports run one way.
if lint-imports >"$TMPDIR_LI" 2>&1; then ok "lint-imports: the layers contract is kept"
else bad "lint-imports: the layers contract is broken"; tail -30 "$TMPDIR_LI"; fi

# 2. Every notebook, two at a time (2 cores), one torch thread each; the tutorials (the longest) first. Each runs
#    `nbdev-test NB` in its own process, forked from a server that imported the package once (tools/nbtest.py).
log=$(mktemp -d)
find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | awk '{print (index($0, "nbs/tutorials/") ? 0 : 1) "\t" $0}' | sort -s -k1,1 | cut -f2 > "$log/nbs"
t1=$SECONDS; c1=$(head -1 /proc/stat); OMP_NUM_THREADS=1 python tools/nbtest.py "$log" $(cat "$log/nbs"); t2=$SECONDS; c2=$(head -1 /proc/stat)
while read -r st secs nb; do
  if [ "$st" == ok ]; then ok "nbdev-test $nb ($secs)"; else bad "nbdev-test $nb ($secs)"; cat "$log/$(echo "$nb" | tr / _).out" | tail -40; fi
done < <(sort -k3 "$log/res")

# 3. pytest (command-line tests), two workers (pytest-xdist; 2 cores).
t3=$SECONDS; c3=$(head -1 /proc/stat); pytest -q -p no:cacheprovider -n 2 --durations=12 tests 2>&1 | tee "$log/pytest.out"; t4=$SECONDS; c4=$(head -1 /proc/stat)
line=$(tail -n 1 "$log/pytest.out")
p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || echo 0)
f=0; for n in $(grep -oE '[0-9]+ (failed|errors?)' <<<"$line" | grep -oE '[0-9]+'); do f=$((f+n)); done
[ -z "$p" ] && p=0; [ -z "$f" ] && f=0
if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then bad "pytest ran no test"; fi
passed=$((passed+p)); failed=$((failed+f))

# Where CI's time goes (its limit is 20 minutes for the install and this script together): wall seconds of each
# part, and how busy the machine's cores were meanwhile (/proc/stat: all processes, this script's and any other).
busy() { python - "$1" "$2" <<'PY'
import sys
a, b = ([int(v) for v in s.split()[1:]] for s in sys.argv[1:])
d = [y - x for x, y in zip(a, b)]
print(f"{100 * (1 - (d[3] + d[4]) / max(sum(d[:8]), 1)):.0f}% busy")
PY
}
echo "tools/test.sh: $((SECONDS-t0)) s (checks $((t1-t0)) s; notebooks $((t2-t1)) s, cores $(busy "$c1" "$c2"); pytest $((t4-t3)) s, cores $(busy "$c3" "$c4"))"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
