#!/usr/bin/env bash
# One optimizer step on 10M float32 parameters: descent's fused chains beside
# torch.optim with foreach=True, in one run on this machine.
#   bash scripts/bench_optim.sh [COUNT]
# Needs Debian's python3-torch. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-5}
out=$(mktemp -d)
go test ./optim -run '^$' -bench 'BenchmarkStep/' -benchtime 20x -count "$count" | tee "$out/go.txt"
# Adam's bandwidth against a memory copy's, alternating, same process kind.
go build -o "$out/descent" ./cmd/descent
for _ in $(seq "$count"); do
  "$out/descent" bench copy --json | tee -a "$out/copy.txt"
  "$out/descent" bench step --optimizer adam --params 10000000 --json | tee -a "$out/adam.txt"
done
/usr/bin/python3 scripts/bench_optim.py --threads 1 --count "$count" | tee "$out/torch1.txt"
OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 scripts/bench_optim.py --threads 2 --count "$count" | tee "$out/torch2.txt"
python3 - "$out" <<'PY'
import re, statistics, sys, os
def med(path, pat):
    r = {}
    for line in open(path):
        m = re.match(pat, line)
        if m: r.setdefault(m.group(1), []).append(float(m.group(2)))
    return {k: statistics.median(v) for k, v in r.items()}
d = sys.argv[1]
g = med(os.path.join(d, "go.txt"), r"BenchmarkStep/(\w+)-\d+\s+\d+\s+\d+ ns/op.*?([\d.]+) ns/param")
t1 = med(os.path.join(d, "torch1.txt"), r"BenchmarkTorchStep/(\w+)/threads=1\s+\d+\s+\d+ ns/op\s+([\d.]+) ns/param")
t2 = med(os.path.join(d, "torch2.txt"), r"BenchmarkTorchStep/(\w+)/threads=2\s+\d+\s+\d+ ns/op\s+([\d.]+) ns/param")
print("\nmedian ns per parameter per step (10M float32 parameters); ratio = best torch / descent")
import json
cp = statistics.median(json.loads(l)["gb_per_s"] for l in open(os.path.join(d, "copy.txt")))
ad = statistics.median(json.loads(l)["gb_per_s"] for l in open(os.path.join(d, "adam.txt")))
print(f"descent bench copy {cp:.1f} GB/s, bench step --optimizer adam {ad:.1f} GB/s: {100*ad/cp:.0f}% of the copy's bandwidth")
print(f"{'optimizer':10s} {'descent':>8s} {'torch 1T':>9s} {'torch 2T':>9s} {'ratio':>6s}")
for k, v in g.items():
    a, b = t1.get(k), t2.get(k)
    best = min(x for x in (a, b) if x) if (a or b) else None
    fmt = lambda x: f"{x:9.3f}" if x else "        -"
    print(f"{k:10s} {v:8.3f} {fmt(a)} {fmt(b)} {best / v if best else float('nan'):6.2f}")
PY
