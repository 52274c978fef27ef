# shellcheck shell=bash
# jdk.incubator.vector for ./hlo4j, opt-in (HLO4J_VECTOR=1): the interpreter's vector kernels (f32 matmul and
# ragged_dot, f32 exponential and logistic, max/min reductions; docs/benchmarks-cli.md, "The vector module in the
# launcher") run only when the module is in the boot layer. It is opt-in because it costs every command start-up
# time (JDK 25 archives no boot layer with it, so the ahead-of-time cache links far fewer classes) and pays only in
# long interpreter runs. A JVM given it prints one line on stderr at start-up, HLO4J_INCUBATOR_WARNING. Sourced by
# ./hlo4j once JAVA_HOME is set.
#
# hlo4j_vector_opts sets VECTOR_OPTS to "--add-modules jdk.incubator.vector" when HLO4J_VECTOR is 1 and the JDK has
# the module (unset, empty or 0: none, and ./hlo4j execs java as it always did); hlo4j_java_without_warning then
# runs java with that one line removed from its stderr.
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
# closed their stderr, however java ended); java runs as an async job (of a parent subshell, below), its stdin the launcher's (explicitly: an async
# job's stdin is /dev/null otherwise) and SIGINT and SIGQUIT at their defaults (an async job of a script ignores them,
# and the JVM then installs no Ctrl-C handler); `wait` is interrupted by the launcher's traps, which pass TERM, INT and
# HUP on to java, and is repeated until java, then the filter, has ended. stdout is not touched (java writes to the
# caller's own file, terminal or pipe). The launcher returns java's exit status after the filter has ended.
#
# Facts this rests on (bash's jobs.c, 4.1 to 5.3, and tried):
# - The launcher runs without job control, so the async job stays in the launcher's process group: in the foreground
#   of an interactive shell that is the terminal's foreground group, and java reads the terminal (no SIGTTIN).
# - A `wait PID` interrupted by a trap returns 128+signal, and a second `wait PID` is meant to give the status (bash
#   keeps it outside posix mode). It does not always: bash longjmps out of the interrupted `wait` from its signal
#   handler, and when that lands just after waitpid reaped the child the status is lost and the next `wait` says -1
#   (exit 255; seen with bash 5.2 when java ends as the launcher gets SIGTERM). So java runs under a parent subshell
#   that has no trap and ignores the signals (nothing interrupts its `wait`), which writes java's pid and then its
#   status to files in a temporary folder; the filter writes its own status there too. ./hlo4j also turns posix mode
#   off (POSIXLY_CORRECT in the environment turns it on), where bash forgets a status once reported.
# - `wait $!` on a process substitution needs bash 4.4 (4.3 says "not a child of this shell" and returns at once):
#   HLO4J_VECTOR=1 refuses an older bash.
# - java killed by a signal (SIGKILL: 137) gives the launcher that status as a number, as a caller of `exec java` sees
#   it; killing the launcher itself with SIGKILL leaves java running (no process is left to pass it on).

HLO4J_INCUBATOR_WARNING='WARNING: Using incubator modules: jdk.incubator.vector'

# Sets VECTOR_OPTS: the module's option when HLO4J_VECTOR is 1 and the JDK at $JAVA_HOME has it (its release file's
# MODULES list: no JVM started to ask); else none. Any other value than 1, 0 or empty, or HLO4J_VECTOR=1 on a bash
# older than 4.4: one line on stderr and status 2.
hlo4j_vector_opts() {
    VECTOR_OPTS=()
    case "${HLO4J_VECTOR:-0}" in
    0) return 0 ;;
    1) ;;
    *)
        printf 'hlo4j: HLO4J_VECTOR is %q: set it to 1 (add jdk.incubator.vector: the vector kernels) or 0 or leave it unset (without it)\n' \
            "$HLO4J_VECTOR" >&2
        return 2 ;;
    esac
    if (( BASH_VERSINFO[0] < 4 || (BASH_VERSINFO[0] == 4 && BASH_VERSINFO[1] < 4) )); then
        echo "hlo4j: HLO4J_VECTOR=1 needs bash 4.4 or newer (this is bash $BASH_VERSION); unset HLO4J_VECTOR" >&2
        return 2
    fi
    local modules
    modules=$(sed -n 's/^MODULES="\(.*\)"$/\1/p' "$JAVA_HOME/release" 2>/dev/null) || return 0
    if [[ " $modules " == *" jdk.incubator.vector "* ]]; then VECTOR_OPTS=(--add-modules jdk.incubator.vector); fi
    return 0
}

# Copies stdin to stdout without the first line that is exactly HLO4J_INCUBATOR_WARNING, byte for byte. The JVM prints
# it while it makes the boot layer, before any application code runs, so only the JVM's own start-up lines (NOTE:
# Picked up JDK_JAVA_OPTIONS ...) can come before it. Those go through GNU sed: -u reads no further than the line it
# prints, so that at the warning `cat` takes over and copies the rest as it comes (a progress line without its
# newline shows at once); and sed, unlike bash's `read`, keeps NUL bytes (in the C locale any byte, of a line of any
# length, and a last line without its newline).
hlo4j_drop_incubator_warning() {
    LC_ALL=C sed -u -n -e "/^${HLO4J_INCUBATOR_WARNING//./\\.}\$/q" -e p || true
    cat
}

# Runs "$@" (java and its arguments) as above and exits with its exit status.
hlo4j_java_without_warning() {
    local err filter parent dir rc frc
    # java's and the filter's exit statuses come back in files: a `wait` that a trap interrupts can lose a child's
    # status (bash longjmps out of it, possibly just after waitpid reaped the child; the next `wait` then says -1).
    dir=$(mktemp -d "${TMPDIR:-/tmp}/hlo4j-java.XXXXXX") || exit 2
    exec {err}> >(set +e; trap '' INT TERM HUP QUIT; hlo4j_drop_incubator_warning >&2; echo "$?" >"$dir/filter") # +e: a failed
    # or killed cat must still be recorded
    filter=$!
    HLO4J_JAVA_PID="" HLO4J_SIGNALLED=""
    trap 'hlo4j_forward TERM' TERM
    trap 'hlo4j_forward INT' INT
    trap 'hlo4j_forward HUP' HUP
    trap ':' QUIT # the terminal's Ctrl-\ reaches java itself (a thread dump); the launcher stays to wait for it
    # java's parent: has no trap, ignores the signals (the launcher passes them on to java itself) and so waits for
    # java without interruption; it records java's pid, then its status.
    (
        trap '' INT TERM HUP QUIT
        (trap - INT TERM HUP QUIT; exec "$@" 2>&"$err" {err}>&-) <&0 &
        echo "$!" >"$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
        exec {err}>&-
        rc=0
        wait "$!" || rc=$?
        echo "$rc" >"$dir/status"
    ) <&0 2>/dev/null & # 2>/dev/null: no "Killed" line of bash's own (the caller sees 137, as with exec); java's is $err
    parent=$!
    exec {err}>&- # the filter's input ends when java's copy closes
    while [[ ! -s "$dir/pid" ]] && kill -0 "$parent" 2>/dev/null; do sleep 0.01; done
    read -r HLO4J_JAVA_PID 2>/dev/null <"$dir/pid" || HLO4J_JAVA_PID="" # (read: no process started)
    if [[ -n "$HLO4J_SIGNALLED" ]]; then kill -s "$HLO4J_SIGNALLED" "$HLO4J_JAVA_PID" 2>/dev/null || true; fi
    hlo4j_wait_for "$parent"
    HLO4J_JAVA_PID="" # ended: a later signal has no one to go to (its pid may be another process's by now)
    read -r rc 2>/dev/null <"$dir/status" || rc=""
    # A signal while the filter still copies (java's children hold its stderr, or lines are still queued) must not
    # end the launcher before the last line is written.
    hlo4j_wait_for "$filter"
    read -r frc 2>/dev/null <"$dir/filter" || frc="unknown (killed)"
    if [[ "$frc" != 0 ]]; then
        # Killed, or a write failed: say so if stderr still takes it (a closed pipe would SIGPIPE the launcher).
        (trap '' PIPE; echo "hlo4j: the filter of java's stderr (scripts/incubator.sh) ended with status $frc; stderr may be incomplete" >&2) || true
    fi
    rm -rf "$dir"
    if [[ -z "$rc" ]]; then
        (trap '' PIPE; echo "hlo4j: java's parent process in the launcher was killed; java's exit status is unknown" >&2) || true
        exit 1
    fi
    exit "$rc"
}

# Waits until child $1 has ended. A trap interrupts `wait` (the child may still run): wait again; its status is not
# used (it can be lost, above).
hlo4j_wait_for() {
    while :; do
        HLO4J_SIGNALLED=""
        wait "$1" 2>/dev/null || true
        [[ -n "$HLO4J_SIGNALLED" ]] || break
    done
}

# The launcher's trap: passes signal $1 on to java (remembered when java has not started yet).
hlo4j_forward() {
    HLO4J_SIGNALLED=$1
    if [[ -n "$HLO4J_JAVA_PID" ]]; then kill -s "$1" "$HLO4J_JAVA_PID" 2>/dev/null || true; fi
}
