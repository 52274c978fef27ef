#!/usr/bin/env bash
# bench/moe_grad.sh's benchmark (io.hlo4j.dsltest.bench.MoeGradBench) with two versions of the interpreter, interleaved:
# each round runs "before" (BENCH_BEFORE_CLASSES, a folder of classes, first on the class path), then "after" (this
# checkout), each under /usr/bin/time with java as bench/moe_grad.sh runs it. Prints each run (wall, user and sys CPU,
# minor page faults, peak RSS, the 1-minute load before it, the benchmark's line per method), then a table per round:
# user + sys, faults, peak RSS and each method's median CPU per call. Stops when a run's outputs' bits differ from the
# first run's (the two versions must compute the same bits).
#   BENCH_BEFORE_CLASSES=DIR bench/moe_grad_ab.sh [ROUNDS [-Dbench.* ...]]
# ROUNDS defaults to 3; the -Dbench.* options are MoeGradBench's (see bench/moe_grad.sh), e.g. -Dbench.methods=FUSED_MOE
# -Dbench.warmup=1 -Dbench.repeat=3 -Dbench.profile=false. Environment: BENCH_BEFORE_CLASSES (required),
# BENCH_NO_VECTOR=1 (without jdk.incubator.vector, as ./hlo4j runs without HLO4J_VECTOR=1), BENCH_JAVA_OPTS.
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/prelude.sh"

BEFORE=${BENCH_BEFORE_CLASSES:?"set BENCH_BEFORE_CLASSES to a folder of classes for \"before\" (see the header)"}
[[ -d "$BEFORE" ]] || { echo "bench/moe_grad_ab.sh: BENCH_BEFORE_CLASSES=$BEFORE is not a folder" >&2; exit 2; }
ROUNDS=${1:-3}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench/moe_grad_ab.sh: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 2; }
(( $# > 0 )) && shift

echo "building dsl and its test classes..." >&2
bench_build build -pl dsl -am test-compile dependency:build-classpath -Dmdep.outputFile="$TMP/cp.txt" -Dmdep.includeScope=test
CP="$ROOT/dsl/target/test-classes:$ROOT/dsl/target/classes:$ROOT/runtime/target/classes:$ROOT/compiler/target/classes"
CP="$CP:$ROOT/mlir-dialects/target/classes:$(cat "$TMP/cp.txt")"

VECTOR=(--add-modules jdk.incubator.vector)
[[ "${BENCH_NO_VECTOR:-}" == 1 ]] && VECTOR=()
echo "java ${VECTOR[*]} ${BENCH_JAVA_OPTS:-}; $(nproc) CPUs; $ROUNDS rounds; before: $BEFORE; options: $*" >&2

want="" table=""
for (( r = 1; r <= ROUNDS; r++ )); do
    row="| $r |"
    for cfg in before after; do
        cp=$CP
        [[ $cfg == before ]] && cp="$BEFORE:$CP"
        load=$(cut -d' ' -f1 /proc/loadavg)
        # shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list
        /usr/bin/time -f '%e %U %S %R %M' -o "$TMP/time" "$JAVA_HOME/bin/java" -Xmx10g -Xss16m "${VECTOR[@]}" \
            ${BENCH_JAVA_OPTS:-} -cp "$cp" "$@" io.hlo4j.dsltest.bench.MoeGradBench >"$TMP/out" 2>"$TMP/err" \
            || { echo "round $r, $cfg failed:" >&2; cat "$TMP/out" "$TMP/err" >&2; exit 1; }
        read -r wall user sys minor rss <"$TMP/time"
        lines=$(grep -E '^[a-z_]+: [0-9]+ top-level ops;' "$TMP/out") \
            || { echo "round $r, $cfg printed no result line:" >&2; cat "$TMP/out" >&2; exit 1; }
        bits=$(grep -oE "outputs' bits [0-9a-f]+" <<<"$lines" | tr '\n' ' ')
        [[ -z "$want" ]] && want=$bits
        [[ "$bits" == "$want" ]] || { echo "round $r, $cfg: $bits, the first run: $want" >&2; exit 1; }
        echo "$r $cfg wall=${wall}s user=${user}s sys=${sys}s minor=$minor rss=$((rss / 1024))MB load=$load" >&2
        sed 's/^/    /' <<<"$lines" >&2
        calls=$(sed -E 's/.*process CPU ms median ([0-9]+).*/\1/' <<<"$lines" | awk '{ printf "%s%.1f", (NR > 1 ? " / " : ""), $1 / 1000 }')
        row="$row $(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }'), $(( (minor + 500) / 1000 )) k, $((rss / 1024)) MB, $calls s |"
    done
    table="$table$row"$'\n'
done
echo
echo "| round | before: user + sys (s), minor faults, peak RSS, a call's CPU (median) | after: the same |"
echo "|---|---:|---:|"
printf '%s' "$table"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
