# shellcheck shell=bash
# Finds a JDK that can build and run hlo4j; sourced by ./hlo4j and scripts/test.sh.
#
# Order: $JAVA_HOME if new enough, then /usr/lib/jvm/temurin-25-jdk-amd64, then the newest JDK under
# /usr/lib/jvm that is new enough. "New enough" is HLO4J_MIN_JAVA: the pom compiles with --release 25 and
# .mvn/jvm.config passes an option that older JVMs reject, so anything below 25 would only fail later with
# a less clear message. On success JAVA_HOME is exported and its bin/ is first on PATH; on failure one
# line goes to stderr and the function returns 2.

HLO4J_MIN_JAVA=${HLO4J_MIN_JAVA:-25}

# Prints the feature version (e.g. 25) of the JDK at $1, or nothing when $1 is not a JDK.
hlo4j_jdk_version() {
    local home=$1 v=""
    [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || return 0
    if [[ -r "$home/release" ]]; then
        # JAVA_VERSION="25.0.3" (or "1.8.0_402" for very old JDKs)
        v=$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$home/release")
    fi
    if [[ -z "$v" ]]; then
        v=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n 1)
    fi
    [[ -n "$v" ]] || return 0
    if [[ "$v" == 1.* ]]; then v=${v#1.}; fi
    v=${v%%[.+_-]*}
    [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
    return 0
}

hlo4j_jdk_ok() {
    local v
    v=$(hlo4j_jdk_version "$1")
    [[ -n "$v" && "$v" -ge "$HLO4J_MIN_JAVA" ]]
}

hlo4j_find_jdk() {
    local candidate best="" best_v=0 v
    if [[ -n "${JAVA_HOME:-}" ]] && hlo4j_jdk_ok "$JAVA_HOME"; then
        best=$JAVA_HOME
    elif hlo4j_jdk_ok /usr/lib/jvm/temurin-25-jdk-amd64; then
        best=/usr/lib/jvm/temurin-25-jdk-amd64
    else
        for candidate in /usr/lib/jvm/*/; do
            candidate=${candidate%/}
            [[ -L "$candidate" ]] && continue # aliases such as default-java point at a real entry
            v=$(hlo4j_jdk_version "$candidate")
            if [[ -n "$v" && "$v" -ge "$HLO4J_MIN_JAVA" && "$v" -gt "$best_v" ]]; then
                best=$candidate best_v=$v
            fi
        done
    fi
    if [[ -z "$best" ]]; then
        echo "hlo4j: no JDK >= $HLO4J_MIN_JAVA found (checked JAVA_HOME${JAVA_HOME:+=$JAVA_HOME} and /usr/lib/jvm); install one, e.g. Temurin 25, and set JAVA_HOME" >&2
        return 2
    fi
    export JAVA_HOME=$best
    export PATH="$JAVA_HOME/bin:$PATH"
}
