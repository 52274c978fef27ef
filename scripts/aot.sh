# shellcheck shell=bash
# The launcher's ahead-of-time cache (JDK 25: JEP 483 classes loaded and linked, JEP 514 -XX:AOTCacheOutput, JEP 515
# method profiles); sourced by ./hlo4j once JAVA_HOME, JAVA_VERSION, JAVA_OPTS, CP, ROOT, TARGET, JAR and LIB are set.
#
# One cache file per key, cli/target/aot/hlo4j-KEY.aot (gone with mvn clean; each checkout has its own). The key is a
# checksum of the checkout, the JDK (its path, and size and mtime of its release file, libjvm.so and modules image),
# the JVM options and each jar's path, size, mtime and inode. The launcher keys it itself because the JVM does not
# reject it: JDK 25.0.3 uses a cache made with -XX:AOTCacheOutput after one of its jars changed (JDK-8377932, fixed
# in 26u), which would run the old classes of a rebuilt jar. The JVM still checks its own version and the class path.
#
# A command that finds no cache for its key runs without one, as before, and starts the training run in the
# background (niced, detached, output to a log that is removed on success): io.hlo4j.cli.AotTraining runs the demo,
# a print, a run, an error and the help in one JVM; at its exit the JVM assembles the cache (seconds), which is renamed
# into place. A flock makes concurrent launchers start one training; the others neither wait nor use a half-written
# file. A training that fails leaves hlo4j-KEY.failed (and its log) and is not retried until the key changes. Each
# training records the JDK and JVM options of its key in hlo4j-KEY.jdk; after it, still under the lock, the files of
# every key that no launcher can get any more are removed (hlo4j_aot_cleanup): another JDK's cache stays while that
# JDK is there, unchanged, to use it. With the cache, the JVM's aot/cds logging is off, so that a cache the JVM refuses
# prints nothing and the command runs without it.
#
# Neither used nor made when HLO4J_JAVA_OPTS, JDK_JAVA_OPTIONS, JAVA_TOOL_OPTIONS or _JAVA_OPTIONS is set: the cache
# must never change a command's output, exit code or side effects. The training closes the caller's fds above 2.
# HLO4J_AOT=0 turns it off; HLO4J_AOT_SYNC=1 (benchmarks) trains in the foreground before the command, or waits for
# a training under way.

hlo4j_aot_opts() {
    AOT_OPTS=()
    [[ "${HLO4J_AOT:-1}" != 0 ]] || return 0
    (( JAVA_VERSION >= 25 )) || return 0 # -XX:AOTCacheOutput is JDK 25's
    command -v flock >/dev/null 2>&1 || return 0
    # No cache with the user's own JVM options: the JVM reads these three variables too, and a CDS option there
    # (-Xshare:off) makes -XX:AOTCache an error; and a training would rerun HLO4J_JAVA_OPTS (a debug port bound,
    # GC logs, JFR files or heap dumps written twice, an agent run twice).
    [[ -z "${HLO4J_JAVA_OPTS:-}${JDK_JAVA_OPTIONS:-}${JAVA_TOOL_OPTIONS:-}${_JAVA_OPTIONS:-}" ]] || return 0
    local dir=$TARGET/aot key
    key=$(hlo4j_aot_key) || return 0
    key=${key// /-} # cksum prints "CRC SIZE"
    local cache=$dir/hlo4j-$key.aot
    if [[ ! -f "$cache" && ! -f "$dir/hlo4j-$key.failed" ]]; then
        mkdir -p "$dir" 2>/dev/null && [[ -w "$dir" ]] || return 0
        if [[ "${HLO4J_AOT_SYNC:-}" == 1 ]]; then
            (hlo4j_aot_close_fds; hlo4j_aot_train "$dir" "$key") </dev/null >/dev/null 2>&1 || true
        else
            # A background job of a script ignores SIGINT already; HUP too, so that closing the terminal
            # does not cut a training short.
            (trap '' HUP; hlo4j_aot_close_fds; hlo4j_aot_train "$dir" "$key") </dev/null >/dev/null 2>&1 &
        fi
    fi
    if [[ -f "$cache" ]]; then AOT_OPTS=("-XX:AOTCache=$cache" "-Xlog:aot*=off" "-Xlog:cds*=off"); fi
    return 0
}

# Closes every fd above 2 in the training's subshell: a pipe the caller holds open (bash -c 'exec 3>&1; ./hlo4j
# --version' | cat) must not wait for the training.
hlo4j_aot_close_fds() {
    local f fd fds=(/proc/$BASHPID/fd/*)
    for f in "${fds[@]}"; do
        fd=${f##*/}
        if [[ "$fd" =~ ^[0-9]+$ ]] && (( fd > 2 )); then { exec {fd}>&-; } 2>/dev/null || true; fi
    done
}

hlo4j_aot_key() { hlo4j_aot_key_of "$JAVA_HOME" "${JAVA_OPTS[@]}"; }

# The key of a launcher that runs JDK $1 with JVM options $2... on this checkout's jars as they are now.
hlo4j_aot_key_of() {
    local jdk=$1 jars=("$JAR" "$LIB"/*.jar)
    shift
    {
        printf '%s\n' "$ROOT" "$jdk" "$CP" "$@"
        stat -L -c '%n %s %.9Y %i' "$jdk/release" "$jdk/lib/server/libjvm.so" "$jdk/lib/modules" "${jars[@]}" 2>/dev/null
    } | cksum # pipefail: a file stat cannot read fails the key, and the command runs without a cache
}

# Removes from $1 the files (.aot, .failed, .log, .jdk) of every key but $2 that no launcher can get any more: the key
# recomputed from the JDK and options its .jdk names and the jars as they are now differs (a jar rebuilt, that JDK
# updated or removed, the launcher's class path changed); a file from before .jdk records goes when it is not newer
# than the newest jar, as it did then. Called under the training lock, so no other training is writing there. A
# command that started with a cache removed here keeps its mapping of it (the file is unlinked, not changed), and no
# launcher picks that key again: it is computed from files that have changed.
hlo4j_aot_cleanup() {
    local dir=$1 key=$2 f k newest jdk
    newest=$(ls -t "$JAR" "$LIB"/*.jar)
    newest=${newest%%$'\n'*}
    for f in "$dir"/hlo4j-*.aot "$dir"/hlo4j-*.failed "$dir"/hlo4j-*.log "$dir"/hlo4j-*.jdk; do
        [[ -f "$f" ]] || continue
        k=${f##*/hlo4j-}
        k=${k%.*}
        [[ "$k" != "$key" ]] || continue
        if [[ -f "$dir/hlo4j-$k.jdk" ]]; then
            mapfile -t jdk <"$dir/hlo4j-$k.jdk"
            if (( ${#jdk[@]} > 0 )) && [[ "$(hlo4j_aot_key_of "${jdk[@]}" | tr ' ' -)" == "$k" ]]; then continue; fi
        elif [[ "$f" -nt "$newest" ]]; then
            continue
        fi
        rm -f "$dir/hlo4j-$k.aot" "$dir/hlo4j-$k.failed" "$dir/hlo4j-$k.log" "$dir/hlo4j-$k.jdk"
    done
}

# Makes $1/hlo4j-$2.aot; runs in a subshell (it takes a lock and changes the environment).
hlo4j_aot_train() {
    local dir=$1 key=$2
    local cache=$dir/hlo4j-$key.aot tmp=$dir/hlo4j-$key.aot.tmp.$$ log=$dir/hlo4j-$key.log ex=$ROOT/docs/examples
    exec 8>>"$dir/.train.lock"
    if [[ "${HLO4J_AOT_SYNC:-}" == 1 ]]; then
        flock 8 # waits for a training under way, then finds its cache
    else
        flock -n 8 || return 0 # another launcher is training
    fi
    [[ ! -f "$cache" && ! -f "$dir/hlo4j-$key.failed" ]] || return 0
    rm -f "$dir"/*.tmp.* # left by a killed training: none runs now
    # The training must not reach a plugin or a coordinator the user's environment names.
    local v
    for v in $(compgen -e); do
        if [[ "$v" == HLO4J_* ]]; then unset "$v"; fi
    done
    printf '%s\n' "$JAVA_HOME" "${JAVA_OPTS[@]}" >"$dir/hlo4j-$key.jdk" # what hlo4j_aot_cleanup recomputes the key from
    local limit=()
    if command -v timeout >/dev/null 2>&1; then limit=(timeout -k 30 600); fi
    if (cd "$dir" && "${limit[@]}" nice -n 10 "$JAVA_HOME/bin/java" "-XX:AOTCacheOutput=$tmp" "${JAVA_OPTS[@]}" \
            -Dhlo4j.root="$ROOT" -cp "$CP" io.hlo4j.cli.AotTraining \
            demo \; print "$ex/add.mlir" \; run "$ex/global-dot-inputs.mlir" \; verify "$ex/bad.mlir" \; --help) \
            >"$log" 2>&1 && [[ -s "$tmp" ]]; then
        mv -f "$tmp" "$cache"
        rm -f "$log"
    else
        rm -f "$tmp" "$tmp.config"
        touch "$dir/hlo4j-$key.failed"
    fi
    hlo4j_aot_cleanup "$dir" "$key" || true # this key's files stay, even when a jar's mtime is in the future
}
