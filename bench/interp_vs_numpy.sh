#!/usr/bin/env bash
# Runs the interpreter benchmark (runtime/src/test/java/io/hlo4j/runtime/bench/InterpBench.java) and the same
# cases in numpy (bench/numpy_bench.py) on this machine, then prints one table with the ratios interp/numpy
# of wall time and of process CPU time (all threads; the fairer figure when the machine is shared).
#   bench/interp_vs_numpy.sh [case...]      cases: matmul softmax argsort gather moe (default: all)
# Environment: BENCH_WARMUP (default 2), BENCH_REPEAT (default 5; the MoE case uses at most 1 and 2),
# BENCH_JAVA_OPTS (extra JVM options), BENCH_NO_VECTOR=1 (run the JVM without jdk.incubator.vector).
# numpy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they may be set on this machine), so that
# OpenBLAS picks its kernel for this CPU as it would for a user.
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
hlo4j_find_jdk || exit 2
WARMUP=${BENCH_WARMUP:-2}
REPEAT=${BENCH_REPEAT:-5}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hlo4j-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

cd "$ROOT"
echo "building runtime and its test classes..." >&2
build() { mvn -B -q "$@" -pl mlir-dialects,runtime test-compile dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt"; }
build -o >"$TMP/build.log" 2>&1 || build >"$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; exit 1; }
CP="$ROOT/runtime/target/classes:$ROOT/runtime/target/test-classes:$(cat "$TMP/cp.txt")"

VECTOR=(--add-modules jdk.incubator.vector)
[[ "${BENCH_NO_VECTOR:-}" == 1 ]] && VECTOR=()
echo "running the interpreter (java ${VECTOR[*]} ${BENCH_JAVA_OPTS:-})..." >&2
# shellcheck disable=SC2086
java -Xmx10g -Xss16m "${VECTOR[@]}" ${BENCH_JAVA_OPTS:-} -cp "$CP" -Dbench.warmup="$WARMUP" -Dbench.repeat="$REPEAT" \
    io.hlo4j.runtime.bench.InterpBench "$@" 2> >(grep -v 'Using incubator modules' >&2) | tee "$TMP/interp.txt" >&2
echo "running numpy..." >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 "$ROOT/bench/numpy_bench.py" "$WARMUP" "$REPEAT" "$@" | tee "$TMP/numpy.txt" >&2

python3 - "$TMP/interp.txt" "$TMP/numpy.txt" <<'PY'
import sys
def read(p):
    rows, extra = {}, []
    for line in open(p):
        f = line.split()
        if len(f) >= 4 and f[1].replace('.', '', 1).isdigit() and f[3].startswith("cpu="):
            rows[f[0]] = (float(f[1]), float(f[3][4:]))
        elif line.strip():
            extra.append(line.strip())
    return rows, extra
j, _ = read(sys.argv[1])
n, blas = read(sys.argv[2])
names = {"matmul": "f32 matmul 1024x1024x1024", "softmax": "softmax f32 [8192, 256], last axis",
         "argsort": "stable argsort 65,536 int32", "gather": "gather 65,536 rows x 1,024 f32",
         "moe": "MoE forward top-2/8, H 1024, M 2816, 4,096 tokens"}
print("| case | interpreter wall (ms) | numpy wall (ms) | wall ratio | interpreter CPU (ms) | numpy CPU (ms) | CPU ratio |")
print("|---|---:|---:|---:|---:|---:|---:|")
for k in j:
    if k in n:
        print(f"| {names.get(k, k)} | {j[k][0]:.1f} | {n[k][0]:.1f} | {j[k][0] / n[k][0]:.1f}x "
              f"| {j[k][1]:.1f} | {n[k][1]:.1f} | {j[k][1] / n[k][1]:.1f}x |")
for line in blas:
    print(line)
PY
