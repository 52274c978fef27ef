#!/bin/bash
# hlo4j's GPU check (issue 7): PJRT smoke programs, the MoE layer forward+backward on the GPU against the
# interpreter, and the MoE layer step timed against the same step in JAX.
#
#   scripts/gpu-check.sh build     here (Java 25, Maven): jars + a jlinked Java runtime into .pjrt-gpu/ (< 64 MiB)
#   scripts/gpu-check.sh run [STAGE...]
#                                  on the GPU machine (NVIDIA GPU, JAX with its CUDA PJRT plugin, no Java, no
#                                  internet), from the repository root with .pjrt-gpu/ beside it. STAGE: smoke,
#                                  jax, moe (default: all three, in that order). The stages share one time
#                                  budget, GPU_CHECK_BUDGET_S seconds (default 540: a device command may run
#                                  600 s); smoke gets at most 90 s of it, jax 150 s, moe the rest.
#   scripts/gpu-check.sh selftest  here: the bundle's Java against the C mock plugin (no GPU), the comparison
#                                  harness against itself, and the JAX script parsed
#
# Sizes of the timed step: MOE_T (tokens), MOE_H, MOE_M, MOE_E, MOE_K, MOE_ITERS; of the correctness check:
# MOE_CHECK_T/H/M/E/K. Output goes to stdout and, when $OUT is set, to $OUT/gpu-check.log.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/.pjrt-gpu
LIMIT_MIB=64

build() {
    set -e
    : "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"; export JAVA_HOME
    (cd "$ROOT" && mvn -B -q ${HLO4J_MVN_OFFLINE:--o} -Dmaven.test.skip=true package)
    rm -rf "$B" && mkdir -p "$B/lib" "$B/classes"
    # java.logging + jdk.unsupported for protobuf-java; jdk.incubator.vector for the interpreter's fast matmul.
    "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging,jdk.incubator.vector --strip-debug \
        --no-header-files --no-man-pages --compress=zip-9 --output "$B/jre"
    cp "$ROOT/cli/target/hlo4j-cli.jar" "$ROOT"/cli/target/lib/*.jar "$B/lib/"
    "$JAVA_HOME/bin/javac" -d "$B/classes" -cp "$B/lib/*" "$ROOT/runtime/src/test/pjrt-gpu/GpuMoeCheck.java"
    "$JAVA_HOME/bin/jar" cf "$B/lib/gpucheck.jar" -C "$B/classes" .
    rm -rf "$B/classes"
    local bytes
    bytes=$(du -sb "$B" | cut -f1)
    echo "bundle $B: $((bytes / 1048576)) MiB ($bytes bytes; limit $LIMIT_MIB MiB)"
    if [ "$bytes" -ge $((LIMIT_MIB * 1048576)) ]; then echo "bundle too large" >&2; exit 1; fi
}

JAVA=("$B/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss16m -Xmx24g -cp "$B/lib/*")

# "BENCH hlo4j <dtype> <method> <ms> ms <tflops> ..." and "BENCH jax <dtype> <ms> ms <tflops> ...": per dtype,
# the fastest hlo4j method against JAX.
ratios() {
    awk '
      $1 == "BENCH" && $2 == "hlo4j" && $5 ~ /^[0-9.]+$/ { if (!($3 in h) || $5 < h[$3]) { h[$3] = $5; hm[$3] = $4; ht[$3] = $7 } }
      $1 == "BENCH" && $2 == "jax" && $4 ~ /^[0-9.]+$/ { j[$3] = $4; jt[$3] = $6 }
      END {
        for (d in j) {
          if (d in h) printf "RATIO %s hlo4j/jax = %.3f (hlo4j %s %.3f ms %s TFLOP/s, jax %.3f ms %s TFLOP/s)\n", d, h[d] / j[d], hm[d], h[d], ht[d], j[d], jt[d]
          else printf "RATIO %s: no hlo4j timing (every method failed)\n", d
        }
      }' "$1"
}

# Runs "$@" under a timeout of min(cap, what is left of the budget); says so when nothing is left.
stage_timeout() {
    local cap=$1; shift
    local left=$(( BUDGET - SECONDS ))
    [ "$left" -gt "$cap" ] && left=$cap
    if [ "$left" -lt 10 ]; then echo "skipped: the time budget ($BUDGET s) is spent"; return 124; fi
    timeout -k 10 "$left" "$@"
}

run() {
    [ -x "$B/jre/bin/java" ] || { echo "no bundle at $B: run 'scripts/gpu-check.sh build' where Java and Maven are" >&2; exit 2; }
    local stages=("$@") s
    [ ${#stages[@]} -eq 0 ] && stages=(smoke jax moe)
    for s in "${stages[@]}"; do
        case "$s" in smoke|jax|moe) ;; *) echo "unknown stage '$s' (smoke, jax, moe)" >&2; exit 2 ;; esac
    done
    BUDGET=${GPU_CHECK_BUDGET_S:-540}
    local log=${OUT:-/tmp}/gpu-check.log
    mkdir -p "$(dirname "$log")"
    {
        echo "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown) stages ${stages[*]} budget ${BUDGET}s"
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
        local sp plugin cuda
        sp=$(python3 -c 'import jax, os; print(os.path.dirname(os.path.dirname(jax.__file__)))')
        python3 -c 'import jax, jaxlib; print("jax", jax.__version__, "jaxlib", jaxlib.__version__)'
        plugin=${HLO4J_PJRT_PLUGIN:-$(ls "$sp"/jax_plugins/xla_cuda*/xla_cuda_plugin.so 2>/dev/null | head -1)}
        [ -f "$plugin" ] || { echo "no CUDA PJRT plugin under $sp/jax_plugins (set HLO4J_PJRT_PLUGIN)"; exit 1; }
        echo "plugin: $plugin"
        export LD_LIBRARY_PATH="$(ls -d "$sp"/nvidia/*/lib 2>/dev/null | tr '\n' ':')${LD_LIBRARY_PATH:-}"
        cuda=$sp/nvidia/cu13; [ -d "$cuda" ] || cuda=$sp/nvidia/cuda_nvcc
        export XLA_FLAGS="--xla_gpu_cuda_data_dir=$cuda ${XLA_FLAGS:-}" TF_CPP_MIN_LOG_LEVEL=1
        for s in "${stages[@]}"; do
            case "$s" in
                smoke)
                    echo "== smoke: PJRT smoke programs (at $SECONDS s)"
                    stage_timeout 90 "${JAVA[@]}" io.hlo4j.runtime.pjrt.PjrtSmoke "$plugin" preallocate=false
                    echo "smoke rc=$?" ;;
                jax)
                    echo "== jax: the MoE step in JAX (at $SECONDS s)"
                    stage_timeout 150 python3 "$ROOT/bench/jax_moe_step.py"
                    echo "jax rc=$?" ;;
                moe)
                    echo "== moe: MoE layer forward+backward, f32 and bf16, GPU vs interpreter; hlo4j timing (at $SECONDS s)"
                    stage_timeout 600 "${JAVA[@]}" GpuMoeCheck "$plugin" preallocate=false
                    echo "moe rc=$?" ;;
            esac
        done
        echo "done at $SECONDS s"
    } 2>&1 | grep -v 'sun.misc.Unsafe\|terminally deprecated\|Please consider reporting\|will be removed in a future' | tee "$log"
    echo "== ratios (goal: within 1.05)" | tee -a "$log"
    ratios "$log" | tee -a "$log"
}

selftest() {
    set -e
    local mock=$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so
    : "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"; export JAVA_HOME
    [ -f "$mock" ] || (cd "$ROOT" && mvn -B -q ${HLO4J_MVN_OFFLINE:--o} -pl runtime -am test-compile)
    [ -x "$B/jre/bin/java" ] || build
    # Parsed, not byte-compiled: nothing written beside the script.
    python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$ROOT/bench/jax_moe_step.py" \
        && echo "bench/jax_moe_step.py parses"
    # The mock runs only single-op programs: the interpreter side completes, the PJRT side must refuse by name.
    MOE_CHECK_T=8 MOE_CHECK_H=16 MOE_CHECK_M=32 MOE_CHECK_E=4 MOE_CHECK_K=2 MOE_T=16 MOE_H=16 MOE_M=32 MOE_ITERS=2 \
        "${JAVA[@]}" GpuMoeCheck "$mock" num_devices=1 2>&1 | grep -v 'sun.misc.Unsafe\|terminally deprecated\|Please consider reporting\|will be removed in a future' || true
    # The comparison harness against itself: every line must say ok (errors 0).
    MOE_CHECK_T=8 MOE_CHECK_H=16 MOE_CHECK_M=32 MOE_CHECK_E=4 MOE_CHECK_K=2 "${JAVA[@]}" GpuMoeCheck interpreter 2>&1 \
        | grep -v 'sun.misc.Unsafe\|terminally deprecated\|Please consider reporting\|will be removed in a future'
    printf 'BENCH hlo4j float32 fused_moe 10.0 ms 5.0 TFLOP/s\nBENCH hlo4j float32 dense_moe 8.0 ms 6.0 TFLOP/s\nBENCH jax float32 9.0 ms 5.5 TFLOP/s\n' > "$B/ratio-selftest.log"
    ratios "$B/ratio-selftest.log"
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    selftest) selftest ;;
    *) echo "usage: scripts/gpu-check.sh build | run [smoke|jax|moe ...] | selftest" >&2; exit 2 ;;
esac
