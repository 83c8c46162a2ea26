#!/usr/bin/env bash
# Large-scale learning on sparse data: times descent's SGD, ASGD, Hogwild and L-BFGS on synthetic
# RCV1-shaped document collections beside scikit-learn's SGDClassifier and LIBLINEAR, in one run on
# the same data and machine, and prints the markdown tables of BENCHMARKS.md ("Sparse linear
# learning"). Also draws Bottou's figure (objective and test error against training time) into
# OUTDIR/figure-ROWS-LOSS.png.
#   bash scripts/bench_sparse.sh [OUTDIR]        (default /tmp/descent-bench-sparse)
# Environment: SIZES (training documents; default "200000 781265"), EPOCHS (5), REPS (3),
# LBFGS_ITERS (100). Generated data are kept in OUTDIR and reused. Needs Debian's python3-sklearn
# and python3-liblinear (apt-get install python3-sklearn python3-liblinear). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-/tmp/descent-bench-sparse}
sizes=${SIZES:-200000 781265}
epochs=${EPOCHS:-5}
reps=${REPS:-3}
iters=${LBFGS_ITERS:-100}
py=/usr/bin/python3
mkdir -p "$out/results"
rm -f "$out"/results/*.jsonl
go build -o "$out/descent" ./cmd/descent
descent="$out/descent"
cores=$(nproc)

echo "== start $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
configs="log:1e-5 hinge:1e-4" # log loss at the λ of the recorded svmsgd figures; hinge at Bottou's λ for RCV1
for rows in $sizes; do
	train="$out/rcv1like-$rows.train" test="$out/rcv1like-$rows.test"
	if [ ! -s "$train" ] || [ ! -s "$test" ]; then
		"$descent" gen-sparse --rows "$rows" --test-rows 23149 --cols 47152 --nnz 76 --seed 1 \
			--out "$train" --test-out "$test"
	fi
	for cfg in $configs; do
		loss=${cfg%%:*} lambda=${cfg#*:}
		echo "== $rows documents, $loss loss, λ=$lambda" >&2
		for rep in $(seq 1 "$reps"); do
			"$descent" linear --train "$train" --test "$test" --loss "$loss" --lambda "$lambda" \
				--epochs "$epochs" --optimizer sgd,asgd,hogwild --json >"$out/d.json" 2>"$out/d.log"
			$py scripts/bench_sparse.py descent --json "$out/d.json" --log "$out/d.log" --train "$train" \
				--size "$rows" --loss "$loss" --lambda "$lambda" --rep "$rep" --cores "$cores" \
				--out "$out/results/descent-$rows-$loss.jsonl"
			# Hogwild as Niu et al.: every step on the shared weights, no replicas.
			"$descent" linear --train "$train" --test "$test" --loss "$loss" --lambda "$lambda" \
				--epochs "$epochs" --optimizer hogwild --hogwild-sync -1 --json >"$out/d.json" 2>"$out/d.log"
			$py scripts/bench_sparse.py descent --json "$out/d.json" --log "$out/d.log" --train "$train" \
				--size "$rows" --loss "$loss" --lambda "$lambda" --rep "$rep" --cores "$cores" --rename hogwild-shared \
				--out "$out/results/descent-$rows-$loss.jsonl"
		done
		"$descent" linear --train "$train" --test "$test" --loss "$loss" --lambda "$lambda" \
			--iters "$iters" --optimizer lbfgs --json >"$out/d.json" 2>"$out/d.log"
		$py scripts/bench_sparse.py descent --json "$out/d.json" --log "$out/d.log" --train "$train" \
			--size "$rows" --loss "$loss" --lambda "$lambda" --rep 0 --cores "$cores" \
			--out "$out/results/descent-lbfgs-$rows-$loss.jsonl"
		# Bottou's figure: SGD, ASGD and L-BFGS against training time.
		"$descent" linear --train "$train" --test "$test" --loss "$loss" --lambda "$lambda" \
			--epochs 10 --iters 40 --optimizer sgd,asgd,lbfgs --plot "$out/figure-$rows-$loss.png" >/dev/null 2>&1
	done
	echo "== $rows documents: scikit-learn and LIBLINEAR" >&2
	$py scripts/bench_sparse.py run --train "$train" --test "$test" --configs "${configs// /,}" \
		--epochs "$epochs" --reps "$reps" --size "$rows" --out "$out/results/python-$rows.jsonl"
done

echo "== end $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
$py scripts/bench_sparse.py report "$out/results"
