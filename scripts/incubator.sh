# shellcheck shell=bash
# jdk.incubator.vector for ./hlo4j: the interpreter's vector kernels (f32 matmul and ragged_dot, f32 exponential and
# logistic, max/min reductions; docs/benchmarks.md) run only when the module is in the boot layer, and a JVM given it
# prints one line on stderr at start-up, HLO4J_INCUBATOR_WARNING. Sourced by ./hlo4j once JAVA_HOME is set.
#
# hlo4j_vector_opts sets VECTOR_OPTS to "--add-modules jdk.incubator.vector" when the JDK has the module and
# HLO4J_VECTOR is not 0; hlo4j_java_without_warning then runs java with that one line removed from its stderr.
#
# Why this shape (java an async job of the launcher, stderr through a process substitution on an fd, `wait`):
# - `exec java 2> >(filter)` returns to the caller when java exits, before the filter has written java's last lines:
#   they would land after the shell's prompt, or be missing from a file the caller reads next.
# - a pipeline (`{ java 2>&1 >&3 | filter >&2; } 3>&1`, PIPESTATUS) runs in the foreground, and bash defers a trap
#   until the foreground command ends: a SIGTERM or SIGINT sent to the launcher alone could not be passed on (the
#   launcher would die and leave java running). And the terminal's Ctrl-C would stop a filter that does not ignore it
#   before java has printed its last lines.
# - a coprocess is the same as the process substitution here, but bash has one coprocess at a time and warns beyond.
# So the filter ignores INT, TERM, HUP and QUIT and ends at the end of its input (when java and its children have
# closed their stderr, however java ended); java runs as an async job, its stdin the launcher's (explicitly: an async
# job's stdin is /dev/null otherwise) and SIGINT and SIGQUIT at their defaults (an async job of a script ignores them,
# and the JVM then installs no Ctrl-C handler); `wait` is interrupted by the launcher's traps, which pass TERM, INT and
# HUP on to java, and is repeated until java has ended. stdout is not touched (java writes to the caller's own file,
# terminal or pipe). The launcher returns java's exit status after the filter has ended.

HLO4J_INCUBATOR_WARNING='WARNING: Using incubator modules: jdk.incubator.vector'

# Sets VECTOR_OPTS: the module's option when the JDK at $JAVA_HOME has it (its release file's MODULES list: no JVM
# started to ask) and HLO4J_VECTOR is not 0; else none.
hlo4j_vector_opts() {
    VECTOR_OPTS=()
    [[ "${HLO4J_VECTOR:-1}" != 0 ]] || return 0
    local modules
    modules=$(sed -n 's/^MODULES="\(.*\)"$/\1/p' "$JAVA_HOME/release" 2>/dev/null) || return 0
    if [[ " $modules " == *" jdk.incubator.vector "* ]]; then VECTOR_OPTS=(--add-modules jdk.incubator.vector); fi
    return 0
}

# Copies stdin to stdout without the first line that is exactly HLO4J_INCUBATOR_WARNING. The JVM prints it while it
# makes the boot layer, before any application code runs, so only the JVM's own start-up lines (NOTE: Picked up
# JDK_JAVA_OPTIONS ...) can come before it; from there on `cat` copies the rest byte for byte as it comes (a progress
# line without its newline shows at once).
hlo4j_drop_incubator_warning() {
    local line
    while IFS= read -r line; do
        if [[ "$line" == "$HLO4J_INCUBATOR_WARNING" ]]; then exec cat; fi
        printf '%s\n' "$line"
    done
    printf '%s' "$line" # a last line without its newline (a JVM that failed before printing the warning)
}

# Runs "$@" (java and its arguments) as above and exits with its exit status.
hlo4j_java_without_warning() {
    local err filter rc
    exec {err}> >(trap '' INT TERM HUP QUIT; hlo4j_drop_incubator_warning >&2)
    filter=$!
    HLO4J_JAVA_PID="" HLO4J_SIGNALLED=""
    trap 'hlo4j_forward TERM' TERM
    trap 'hlo4j_forward INT' INT
    trap 'hlo4j_forward HUP' HUP
    trap ':' QUIT # the terminal's Ctrl-\ reaches java itself (a thread dump); the launcher stays to wait for it
    (trap - INT QUIT; exec "$@" 2>&"$err" {err}>&-) <&0 &
    HLO4J_JAVA_PID=$!
    exec {err}>&- # the filter's input ends when java's copy closes
    if [[ -n "$HLO4J_SIGNALLED" ]]; then kill -s "$HLO4J_SIGNALLED" "$HLO4J_JAVA_PID" 2>/dev/null || true; fi
    while :; do
        HLO4J_SIGNALLED=""
        rc=0
        wait "$HLO4J_JAVA_PID" || rc=$?
        # A trap ran: wait returned for it (java may still run), or just after java ended; a second wait gives
        # java's status either way.
        [[ -n "$HLO4J_SIGNALLED" ]] || break
    done
    wait "$filter" || true
    exit "$rc"
}

# The launcher's trap: passes signal $1 on to java (remembered when java has not started yet).
hlo4j_forward() {
    HLO4J_SIGNALLED=$1
    if [[ -n "$HLO4J_JAVA_PID" ]]; then kill -s "$1" "$HLO4J_JAVA_PID" 2>/dev/null || true; fi
}
