#!/usr/bin/env bash
# descent's compute kernels beside numpy/OpenBLAS and PyTorch, in one run on
# this machine: sgemm 1024³, the MLP's three layer products, dgemm 1024³ and a
# 256 MiB copy, with the ratios descent/reference (> 1: descent is faster).
#   bash scripts/bench_kernels.sh [REPEATS] [-- extra flags for bench_kernels.py]
# Builds descent twice (with its assembly kernels, and with -tags purego for
# the portable Go kernel, whose sgemm is printed alongside). Needs Debian's
# python3-numpy (with libopenblas0) and python3-torch. Not part of CI.
#
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines here set to work
# around old OpenBLAS builds, would make numpy run a slower generic kernel;
# they are unset for the Python run only, which prints the kernel OpenBLAS
# picked (threadpoolctl's "architecture").
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-5}
shift || true
[ "${1:-}" = "--" ] && shift
out=$(mktemp -d)
go build -o "$out/descent" ./cmd/descent
go build -tags purego -o "$out/descent-purego" ./cmd/descent

echo "== descent, portable Go kernel (-tags purego), sgemm 1024³ and the MLP forward product"
"$out/descent-purego" bench matmul --m 1024 --n 1024 --k 1024 --rounds 3
"$out/descent-purego" bench matmul --m 128 --n 256 --k 784 --rounds 3
echo
echo "== descent (assembly kernels) beside numpy/OpenBLAS and PyTorch, $repeats alternations per case"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
	/usr/bin/python3 scripts/bench_kernels.py --descent "$out/descent" --repeats "$repeats" --json "$out/kernels.json" "$@"
echo "measurements: $out/kernels.json"
