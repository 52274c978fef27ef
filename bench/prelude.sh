# Sourced by bench/jmh.sh and bench/moe_grad.sh: sets ROOT (the repository), finds a JDK 25+ (scripts/jdk.sh), makes
# TMP (a temporary folder removed on exit), cds to ROOT, and defines bench_build, which runs Maven quietly, offline
# first and online if that fails, and on failure prints the log and exits.
#   bench_build NAME MAVEN-ARGS...     (the log is $TMP/NAME.log)
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=../scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
hlo4j_find_jdk || exit 2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hlo4j-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"

bench_build() {
    local log="$TMP/$1.log"
    shift
    mvn -B -q -o "$@" >"$log" 2>&1 || mvn -B -q "$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
}
