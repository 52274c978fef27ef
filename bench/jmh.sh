#!/usr/bin/env bash
# Runs the JMH benchmarks of bench/jmh/src (kernels of the interpreter, called directly on one thread).
#   bench/jmh.sh [JMH options...]      e.g. bench/jmh.sh MinMaxBench -f 2 -wi 3 -i 5
#   bench/jmh.sh --main CLASS [args]  runs CLASS's main instead (same class path), e.g. a thread-CPU-time mode
# Builds mlir-dialects and runtime (mvn compile), asks Maven for JMH's class path (bench/jmh/pom.xml, not a module
# of the build), compiles the benchmarks with JMH's annotation processor into bench/jmh/target, and runs
# org.openjdk.jmh.Main with the options given. The benchmark classes live in the runtime's packages, so they can call
# package-private kernels. JMH forks its JVMs without jdk.incubator.vector, as ./hlo4j runs without HLO4J_VECTOR=1;
# BENCH_JAVA_OPTS are added to the forks (e.g. "--add-modules jdk.incubator.vector").
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/prelude.sh"

echo "building runtime..." >&2
bench_build build -pl mlir-dialects,runtime compile dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt"
bench_build jmh -f bench/jmh/pom.xml dependency:build-classpath -Dmdep.outputFile="$TMP/jmh.txt"
CP="$ROOT/mlir-dialects/target/classes:$ROOT/runtime/target/classes:$(cat "$TMP/cp.txt"):$(cat "$TMP/jmh.txt")"

OUT="$ROOT/bench/jmh/target/classes"
rm -rf "$OUT" && mkdir -p "$OUT"
find bench/jmh/src/main/java -name '*.java' >"$TMP/sources.txt"
javac --release 25 -proc:full -processorpath "$(cat "$TMP/jmh.txt")" -cp "$CP" -d "$OUT" @"$TMP/sources.txt"

if [[ "${1:-}" == --main ]]; then
    shift
    # shellcheck disable=SC2086
    java -Xmx2g ${BENCH_JAVA_OPTS:-} -cp "$OUT:$CP" "$@"
    exit 0
fi
# shellcheck disable=SC2086
java -cp "$OUT:$CP" org.openjdk.jmh.Main ${BENCH_JAVA_OPTS:+-jvmArgsAppend "$BENCH_JAVA_OPTS"} "$@"
