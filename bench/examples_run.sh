#!/usr/bin/env bash
# Where `hlo4j examples run --class C --classpath SOURCE.java` spends its CPU, stage by stage (bench/ExamplesRunStages.java:
# javac, params(), batch(), trace, lower, compile, each call), with the JVM options of `HLO4J_VECTOR=1 ./hlo4j`; prints the losses as the
# command does. Default: docs/examples/SharedExpertMoe.java at MoeGradBench's sizes (2,048 tokens, H 512, M 1024, a
# shared expert of 1024, top-2 of 4 experts), 2 steps; docs/benchmarks-cli.md has figures.
#   bench/examples_run.sh [SOURCE.java CLASS STEPS]
# Environment: BENCH_JAVA_OPTS (extra JVM options), BENCH_NO_VECTOR=1 (without jdk.incubator.vector, as ./hlo4j runs
# without HLO4J_VECTOR=1).
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/prelude.sh"

if (( $# == 0 )); then
    sed 's/B = 4, S = 6, H = 8, E = 4, K = 2, M = 12, SHARED_M = 16/B = 4, S = 512, H = 512, E = 4, K = 2, M = 1024, SHARED_M = 1024/' \
        docs/examples/SharedExpertMoe.java >"$TMP/SharedExpertMoe.java"
    grep -q 'S = 512' "$TMP/SharedExpertMoe.java" || { echo "bench/examples_run.sh: the sizes line of SharedExpertMoe.java changed" >&2; exit 1; }
    set -- "$TMP/SharedExpertMoe.java" com.example.SharedExpertMoe 2
fi
echo "building the CLI's jars..." >&2
bench_build build -pl cli -am package -DskipTests
CP="$ROOT/cli/target/hlo4j-cli.jar:$ROOT/cli/target/lib/*"

VECTOR=(--add-modules jdk.incubator.vector)
[[ "${BENCH_NO_VECTOR:-}" == 1 ]] && VECTOR=()
echo "java ${VECTOR[*]} ${BENCH_JAVA_OPTS:-}; $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xss16m "${VECTOR[@]}" \
    ${BENCH_JAVA_OPTS:-} -cp "$CP" "$ROOT/bench/ExamplesRunStages.java" "$@" 2> >(grep --line-buffered -v 'Using incubator modules' >&2)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
