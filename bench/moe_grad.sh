#!/usr/bin/env bash
# The value and gradient of a MoE layer's loss (FUSED and STANDARD methods) on the interpreter: what one training step
# costs there. Runs io.hlo4j.dsltest.bench.MoeGradBench (dsl test sources), which traces the step with the DSL
# (Grad.valueAndGrad of sum(y^2) w.r.t. x, the gate, wi, wu, wd), then prints per method the median and best wall and
# process CPU time of the timed runs, an op-by-op profile per op name, and a hash of the outputs' bits.
#   bench/moe_grad.sh [-Dbench.tokens=2048 -Dbench.hidden=512 -Dbench.inter=1024 -Dbench.experts=8 -Dbench.topk=2
#                      -Dbench.warmup=2 -Dbench.repeat=5 -Dbench.profile=true -Dbench.profileRepeat=3
#                      -Dbench.methods=FUSED_MOE,STANDARD_MOE -Dbench.top=8]
# Environment: BENCH_JAVA_OPTS (extra JVM options), BENCH_NO_VECTOR=1 (run without jdk.incubator.vector, as ./hlo4j
# does without HLO4J_VECTOR=1), BENCH_CLASSES (a folder of interpreter classes put first on the class path, to measure
# another version of the kernels against the same benchmark: e.g. runtime/target/classes of another checkout).
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/prelude.sh"

echo "building dsl and its test classes..." >&2
bench_build build -pl dsl -am test-compile dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt" -Dmdep.includeScope=test
CP="$ROOT/dsl/target/test-classes:$ROOT/dsl/target/classes:$ROOT/runtime/target/classes:$ROOT/compiler/target/classes"
CP="$CP:$ROOT/mlir-dialects/target/classes:$(cat "$TMP/cp.txt")"
[[ -n "${BENCH_CLASSES:-}" ]] && CP="$BENCH_CLASSES:$CP"

VECTOR=(--add-modules jdk.incubator.vector)
[[ "${BENCH_NO_VECTOR:-}" == 1 ]] && VECTOR=()
echo "java ${VECTOR[*]} ${BENCH_JAVA_OPTS:-}; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# shellcheck disable=SC2086
java -Xmx10g -Xss16m "${VECTOR[@]}" ${BENCH_JAVA_OPTS:-} -cp "$CP" "$@" io.hlo4j.dsltest.bench.MoeGradBench \
    2> >(grep -v 'Using incubator modules' >&2)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
