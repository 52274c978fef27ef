#!/usr/bin/env bash
# The one test command: every module's tests, the whole reactor (mvn verify).
# Extra arguments go to Maven, e.g. scripts/test.sh -pl cli -am -Dtest='Print*' -Dsurefire.failIfNoSpecifiedTests=false
set -euo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=scripts/jdk.sh
source "$ROOT/scripts/jdk.sh"
hlo4j_find_jdk || exit 2
if ! command -v mvn >/dev/null 2>&1; then
    echo "test.sh: Maven (mvn) is not on PATH; install it (apt-get install maven)" >&2
    exit 2
fi
# Absolute, because each module's tests run in that module's folder.
conformance=$(realpath -m "${HLO4J_CONFORMANCE_DIR:-$ROOT/../shared/conformance}")
cd "$ROOT"
echo "test.sh: JDK $JAVA_HOME, conformance files from $conformance" >&2
if [[ ! -d "$conformance" ]]; then
    echo "test.sh: warning: $conformance does not exist; the tests that read StableHLO's files will fail" >&2
fi
args=(-B verify)
if [[ -n "${HLO4J_CONFORMANCE_DIR:-}" ]]; then
    args+=("-Dhlo4j.conformance.dir=$conformance")
fi
exec mvn "${args[@]}" "$@"
