#!/usr/bin/env bash
# Times the CLI's cold start through the launcher: each command run BENCH_REPEAT times (default 7) with the AOT
# cache (HLO4J_AOT unset) and without it (HLO4J_AOT=0), interleaved; prints the median wall time and the median
# user+sys CPU time (all threads; the steadier figure on a shared machine) of each, and the load average.
#   bench/coldstart.sh            (builds first if needed; the cache is made before the timed runs)
# Environment: BENCH_REPEAT, BENCH_MODES (default "aot noaot"; "noaot" alone times the launcher without the cache).
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
REPEAT=${BENCH_REPEAT:-7}
MODES=${BENCH_MODES:-aot noaot}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hlo4j-coldstart.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"

"$ROOT/hlo4j" --version >/dev/null # builds when sources changed
if [[ " $MODES " == *" aot "* ]]; then
    if [[ -n "${HLO4J_JAVA_OPTS:-}${JDK_JAVA_OPTIONS:-}${JAVA_TOOL_OPTIONS:-}${_JAVA_OPTIONS:-}" ]]; then
        echo "coldstart.sh: the launcher uses no AOT cache while HLO4J_JAVA_OPTS, JDK_JAVA_OPTIONS," \
            "JAVA_TOOL_OPTIONS or _JAVA_OPTIONS is set; unset them (or BENCH_MODES=noaot)" >&2
        exit 1
    fi
    # Makes the cache now (in the foreground), so that the timed runs find it.
    HLO4J_AOT_SYNC=1 "$ROOT/hlo4j" --version >/dev/null
    # A cache newer than the newest jar, and no failure: the training failed or was skipped otherwise (HLO4J_AOT=0,
    # no flock, a JDK before 25).
    newest=$(ls -t "$ROOT"/cli/target/hlo4j-cli.jar "$ROOT"/cli/target/lib/*.jar)
    newest=${newest%%$'\n'*}
    if [[ -z "$(find "$ROOT/cli/target/aot" -maxdepth 1 -name 'hlo4j-*.aot' -newer "$newest" 2>/dev/null)" ||
          -n "$(find "$ROOT/cli/target/aot" -maxdepth 1 -name 'hlo4j-*.failed' -newer "$newest" 2>/dev/null)" ]]; then
        echo "coldstart.sh: no AOT cache in cli/target/aot after a training; see its hlo4j-*.log there, and" \
            "scripts/aot.sh for when the launcher makes none" >&2
        exit 1
    fi
fi

COMMANDS=(
    "--help"
    "print docs/examples/add.mlir"
    "run docs/examples/global-dot-inputs.mlir"
    "demo"
)
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for mode in $MODES; do : >"$TMP/$mode"; done
for ((i = 0; i < REPEAT; i++)); do
    for c in "${!COMMANDS[@]}"; do
        for mode in $MODES; do
            aot=1
            [[ "$mode" == noaot ]] && aot=0
            # shellcheck disable=SC2086 # the command is a list of words
            HLO4J_NO_BUILD=1 HLO4J_AOT=$aot /usr/bin/time -f "$c %e %U %S" -a -o "$TMP/$mode" \
                "$ROOT/hlo4j" ${COMMANDS[$c]} >/dev/null 2>&1 || true
        done
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$REPEAT" "$TMP" "$MODES" "${COMMANDS[@]}" <<'PY'
import statistics, sys
repeat, tmp, modes, commands = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
rows = {}
for mode in modes:
    for line in open(f"{tmp}/{mode}"):
        c, wall, user, sys_ = line.split()
        rows.setdefault((mode, int(c)), []).append((float(wall), float(user) + float(sys_)))
head = "| command |" + "".join(f" {m} wall (s) | {m} CPU (s) |" for m in modes)
print(head)
print("|---|" + "---:|---:|" * len(modes))
for i, c in enumerate(commands):
    cells = []
    for m in modes:
        xs = rows.get((m, i), [])
        cells.append(f" {statistics.median(x[0] for x in xs):.2f} | {statistics.median(x[1] for x in xs):.2f} |")
    print(f"| `hlo4j {c}` |" + "".join(cells))
print(f"(median of {repeat} runs each)")
PY
