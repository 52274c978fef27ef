#!/usr/bin/env bash
# The launcher's JVM heap options measured on a short command (`demo`) and a long one (`examples run` of
# docs/examples/SharedExpertMoe.java at MoeGradBench's sizes, 2 steps, as bench/examples_run.sh): each configuration
# ROUNDS times, interleaved (round 1 runs every configuration once, then round 2...), under /usr/bin/time. Prints each
# run, then per command and configuration the medians of wall, user + sys CPU (with its min-max spread), sys CPU,
# minor page faults and peak RSS. java runs as `./hlo4j` runs it without the ahead-of-time cache (the cache's key
# holds the JVM options, so each configuration would need its own); every run's stdout must be the same (timings aside).
#   bench/heap_options.sh [ROUNDS [NAME=OPTIONS ...]]
# Default configurations: default (the launcher's options), xmx2g, thp, parallel, softmax2g; a NAME starting with
# "before" also puts BENCH_BEFORE_CLASSES (a folder of classes, e.g. an older Interpreter) first on the class path.
# Environment: BENCH_COMMANDS ("demo", "run" or "demo run", the default), BENCH_BEFORE_CLASSES.
set -euo pipefail

# shellcheck source=prelude.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/prelude.sh"

ROUNDS=${1:-3}
(( $# > 0 )) && shift
CONFIGS=("$@")
(( ${#CONFIGS[@]} > 0 )) || CONFIGS=("default=" "xmx2g=-Xmx2g" "thp=-XX:+UseTransparentHugePages"
    "parallel=-XX:+UseParallelGC" "softmax2g=-XX:SoftMaxHeapSize=2g")
read -r -a COMMANDS <<<"${BENCH_COMMANDS:-demo run}"

sed 's/B = 4, S = 6, H = 8, E = 4, K = 2, M = 12, SHARED_M = 16/B = 4, S = 512, H = 512, E = 4, K = 2, M = 1024, SHARED_M = 1024/' \
    docs/examples/SharedExpertMoe.java >"$TMP/SharedExpertMoe.java"
grep -q 'S = 512' "$TMP/SharedExpertMoe.java" || { echo "bench/heap_options.sh: the sizes line of SharedExpertMoe.java changed" >&2; exit 1; }
echo "building the CLI's jars..." >&2
bench_build build -pl cli -am package -DskipTests
CP="$ROOT/cli/target/hlo4j-cli.jar:$ROOT/cli/target/lib/*"

args_of() {
    case "$1" in
        demo) echo demo ;;
        run) echo "examples run --class com.example.SharedExpertMoe --classpath $TMP/SharedExpertMoe.java --steps 2" ;;
    esac
}

echo "$(nproc) CPUs; $ROUNDS rounds; configurations: ${CONFIGS[*]}" >&2
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' round command config wall_s user_s sys_s minor_faults max_rss_mb load1 >"$TMP/runs.tsv"
for (( r = 1; r <= ROUNDS; r++ )); do
    for cmd in "${COMMANDS[@]}"; do
        for c in "${CONFIGS[@]}"; do
            name=${c%%=*} opts=${c#*=} cp=$CP
            [[ "$name" == before* ]] && cp="${BENCH_BEFORE_CLASSES:?a before* configuration needs BENCH_BEFORE_CLASSES}:$CP"
            load=$(cut -d' ' -f1 /proc/loadavg)
            # shellcheck disable=SC2046,SC2086 # options and arguments are lists
            /usr/bin/time -f '%e %U %S %R %M' -o "$TMP/time" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED \
                --sun-misc-unsafe-memory-access=allow -Xss16m $opts -cp "$cp" io.hlo4j.cli.Main $(args_of "$cmd") \
                >"$TMP/out.raw" 2>"$TMP/err" || { echo "$cmd with $name failed:" >&2; cat "$TMP/err" >&2; exit 1; }
            sed -E 's/[0-9]+(\.[0-9]+)? ms/N ms/g' "$TMP/out.raw" >"$TMP/out" # the demo prints its timings
            if [[ -f "$TMP/want.$cmd" ]]; then
                cmp -s "$TMP/out" "$TMP/want.$cmd" || { echo "$cmd with $name printed another output:" >&2; diff "$TMP/want.$cmd" "$TMP/out" >&2; exit 1; }
            else
                cp "$TMP/out" "$TMP/want.$cmd"
            fi
            read -r wall user sys minor rss <"$TMP/time"
            line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$r" "$cmd" "$name" "$wall" "$user" "$sys" "$minor" "$((rss / 1024))" "$load")
            echo "$line" >>"$TMP/runs.tsv"
            echo "$line" >&2
        done
    done
done

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo
echo "| command | configuration | wall (s) | user + sys (s), min-max | sys (s) | minor faults | peak RSS (MB) | load (1 min) |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for cmd in "${COMMANDS[@]}"; do
    for c in "${CONFIGS[@]}"; do
        name=${c%%=*}
        rows=$(awk -F'\t' -v c="$cmd" -v n="$name" 'NR > 1 && $2 == c && $3 == n' "$TMP/runs.tsv")
        col() { cut -f"$1" <<<"$rows"; }
        cpu=$(awk -F'\t' '{ printf "%.2f\n", $5 + $6 }' <<<"$rows")
        printf '| %s | %s | %s | %.1f, %.1f-%.1f | %s | %s | %s | %s-%s |\n' "$cmd" "$name" "$(col 4 | median)" \
            "$(median <<<"$cpu")" "$(sort -n <<<"$cpu" | head -1)" "$(sort -n <<<"$cpu" | tail -1)" "$(col 6 | median)" \
            "$(col 7 | median)" "$(col 8 | median)" "$(col 9 | sort -n | head -1)" "$(col 9 | sort -n | tail -1)"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
