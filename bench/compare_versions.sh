#!/bin/bash
# Compare two checkouts of microgradx (each built in place: python setup.py build_ext --inplace) on the
# benchmarks S1, S2 (bench_scalar.py), T1, T2, T3 (bench_tensor.py), G1 and F1 (bench_transforms.py).
#
#   bench/compare_versions.sh BEFORE_DIR AFTER_DIR [ROUNDS] [OUT_DIR]
#
# Each side runs its own bench scripts in its own process, the two sides alternating ROUNDS times
# (default 2), so that a change of load hits both.  glibc's heap thresholds are pinned: otherwise the
# peers (numpy, autograd, torch) run at a speed that depends on what the other engines in the same process
# allocated and freed, and a ratio to a peer moves although neither engine changed.  Compare the ratios
# to the peers that each run prints, not the absolute times.  bench_tensor.py runs with one BLAS/torch
# thread (bench_transforms.py always does): with two, torch's own T1 step switches between about 3 and
# 7 ms from run to run on a 2-core machine, whichever microgradx is beside it.  Outputs: OUT_DIR/<bench>.<side>.<round>.txt
# and OUT_DIR/log.txt (default OUT_DIR: bench-compare-<date>).
set -u
if [ $# -lt 2 ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd) rounds=${3:-2} out=${4:-bench-compare-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out" && out=$(cd "$out" && pwd)
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824
for i in $(seq "$rounds"); do
  for side in before after; do
    if [ $side = before ]; then dir=$before; else dir=$after; fi
    for bench in scalar tensor transforms; do
      args=(); if [ $bench = tensor ]; then args=(--threads 1); fi
      (cd "$dir" && PYTHONPATH="$dir" python "bench/bench_$bench.py" "${args[@]}" > "$out/$bench.$side.$i.txt" 2>&1)
      echo "$bench $side $i exit $? $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/log.txt"
    done
  done
done
