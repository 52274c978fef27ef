#!/bin/bash
# hlo4j's GPU check (issue 7): PJRT smoke programs, the MoE layer forward+backward on the GPU against the
# interpreter, the MoE layer step timed against the same step in JAX, programs exported from JAX run on hlo4j's
# interpreter (interop), and hlo4j's sharded programs compiled by XLA for several partitions (xlaspmd).
#
#   scripts/gpu-check.sh build     here (Java 25, Maven): jars + a jlinked Java runtime into .pjrt-gpu/, packed as
#                                  .pjrt-gpu.tgz (~30 MiB), the one file a device call carries: it and the tracked
#                                  files must stay under the device's 64 MiB (build refuses above 60 MiB)
#   scripts/gpu-check.sh run [STAGE...]
#                                  on the GPU machine (NVIDIA GPU, JAX with its CUDA PJRT plugin, no Java, no
#                                  internet), from the repository root with .pjrt-gpu/ or .pjrt-gpu.tgz (unpacked
#                                  first, within the budget) beside it. STAGE: smoke,
#                                  jax, moe, interop, xlaspmd (default: all five, in that order). The stages share
#                                  one time budget, GPU_CHECK_BUDGET_S seconds (default 570, so that a full run
#                                  fits a device command of 600 s, its most); smoke gets at most 60 s of it, jax 120 s,
#                                  interop and xlaspmd 90 s each, moe the rest less 45 s kept for each of
#                                  interop and xlaspmd (docs/gpu.md: what moe gets, about 290 s or more).
#                                  Exit status: 0 when every stage ended rc=0, 1 otherwise, 2 for usage or no bundle.
#   scripts/gpu-check.sh selftest  here: the bundle's Java against the C mock plugin (no GPU), the comparison
#                                  harness against itself, the Python scripts compiled, the interop harness on
#                                  the committed fixtures (cli/src/test/resources/jaxexport), the xlaspmd programs
#                                  emitted and checked on the interpreter and the mock, and `run` itself on a
#                                  fake site-packages whose CUDA plugin is the mock
#
# Sizes of the timed step: MOE_T (tokens), MOE_H, MOE_M, MOE_E, MOE_K, MOE_ITERS; its methods: MOE_BENCH_METHODS
# (default fused_moe,standard_moe: DENSE's per-row kernel copies do not fit the GPU at the default sizes; named, it
# runs when they fit in MOE_DENSE_MAX_GIB, default 64); of the correctness check (every method): MOE_CHECK_T/H/M/E/K. Output goes to stdout and, line by line as it comes, to $OUT/gpu-check.log (/tmp without
# $OUT): its first line names the versions (hlo4j, Java, Python, jax, jaxlib, the plugin's package and PJRT C API,
# the GPU). A stage that fails or times out leaves its lines and its rc, and the next stage still runs. The stages'
# files (interop/, xlaspmd/, JVM crash reports) are written to a work folder outside $OUT and packed after every
# stage into the one file $OUT/gpu-check-files.tgz: the device brings back at most 8 files of $OUT, 2 folders deep.
# HLO4J_PJRT_PLUGIN names the plugin instead of the search; GPU_CHECK_SITE adds a site-packages folder to search first.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/.pjrt-gpu
LIMIT_MIB=64
TRAVEL_MIB=60   # 4 MiB kept below the device's limit for files added between build and run

build() {
    set -e
    : "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"; export JAVA_HOME
    (cd "$ROOT" && mvn -B -q ${HLO4J_MVN_OFFLINE:--o} -Dmaven.test.skip=true package)
    rm -rf "$B" && mkdir -p "$B/lib" "$B/classes"
    # java.logging + jdk.unsupported for protobuf-java; jdk.incubator.vector for the interpreter's fast matmul.
    "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging,jdk.incubator.vector --strip-debug \
        --no-header-files --no-man-pages --compress=zip-9 --output "$B/jre"
    cp "$ROOT/cli/target/hlo4j-cli.jar" "$ROOT"/cli/target/lib/*.jar "$B/lib/"
    # The check's own programs (package io.hlo4j.gpucheck; the cli module's tests compile the same files).
    "$JAVA_HOME/bin/javac" -d "$B/classes" -cp "$B/lib/*" $(find "$ROOT/runtime/src/test/pjrt-gpu" -name '*.java')
    "$JAVA_HOME/bin/jar" cf "$B/lib/gpucheck.jar" -C "$B/classes" .
    rm -rf "$B/classes"
    # The smoke stage alone, as .pjrt-gpu/run.sh (packed with the rest: on the device only the .tgz brings it).
    cp "$ROOT/runtime/src/test/pjrt-gpu/run.sh" "$B/run.sh"
    # The machine that runs the bundle may get the tree without .git: the commit goes with the bundle.
    (cd "$ROOT" && echo "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo +changes)") > "$B/commit"
    local bytes packed tree
    bytes=$(du -sb "$B" | cut -f1)
    # What a device call sends: the tracked and untracked-not-ignored files, plus what it carries (this .tgz); the
    # device refuses more than 64 MiB in all, so the bundle travels packed (the jre's libjvm.so halves in gzip).
    tar czf "$ROOT/.pjrt-gpu.tgz.tmp" -C "$ROOT" .pjrt-gpu && mv "$ROOT/.pjrt-gpu.tgz.tmp" "$ROOT/.pjrt-gpu.tgz"
    sleep 1 && touch "$B/unpacked"   # newer than the .tgz: run uses this bundle, not a fresh unpack (see run)
    packed=$(stat -c %s "$ROOT/.pjrt-gpu.tgz")
    tree=$(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard 2>/dev/null | xargs -0 -r stat -c %s 2>/dev/null | awk '{s += $1} END {print s + 0}')
    echo "bundle $B: $((bytes / 1048576)) MiB; packed $ROOT/.pjrt-gpu.tgz: $((packed / 1048576)) MiB ($packed bytes)"
    echo "a device call sends $(( (tree + packed) / 1048576 )) MiB: the working tree's files $((tree / 1048576)) MiB + .pjrt-gpu.tgz (device limit $LIMIT_MIB MiB; refused here above $TRAVEL_MIB MiB)"
    if [ $((tree + packed)) -ge $((TRAVEL_MIB * 1048576)) ]; then echo "too large to travel: the device takes 64 MiB in all" >&2; exit 1; fi
}

# Heap: the interpreter's reference runs are small, the timed step's host arrays ~1.5 GB; 32 GiB of the 128 GiB
# machine. Device buffers and FFM arenas are native memory, outside the heap and -XX:MaxDirectMemorySize.
JAVA=("$B/jre/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -Xss16m -Xms1g -Xmx32g -cp "$B/lib/*")
# JVM noise that says nothing about the run (protobuf's Unsafe use, the incubator module), dropped line by line:
# --line-buffered, so a stage killed by its timeout still leaves every line it printed in the log.
NOISE='sun.misc.Unsafe\|terminally deprecated\|Please consider reporting\|will be removed in a future\|Using incubator modules'
quiet() { grep --line-buffered -v "$NOISE"; }

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

# Each stage's time: at most its cap, and never what the budget keeps for the stages after it (their MIN_S).
declare -A CAP_S=([smoke]=60 [jax]=120 [moe]=600 [interop]=90 [xlaspmd]=90)
declare -A MIN_S=([smoke]=0 [jax]=0 [moe]=0 [interop]=45 [xlaspmd]=45)

# Starts a stage: STAGE_T = min(cap, budget left less RESERVE_S); says so and returns 124 when under 10 s are left.
stage_begin() {
    local cap=$1 left=$(( BUDGET - SECONDS - RESERVE_S ))
    [ "$left" -gt "$cap" ] && left=$cap
    STAGE_T=$left STAGE_END=$(( SECONDS + left ))
    if [ "$left" -lt 10 ]; then
        local kept=""
        [ "$RESERVE_S" -gt 0 ] && kept=" ($RESERVE_S s of it kept for the stages after this one)"
        echo "skipped: the time budget ($BUDGET s) is spent$kept"
        return 124
    fi
    echo "(time for this stage: $left s)"
}

# Runs "$@" within what is left of the current stage (SIGTERM at its end, SIGKILL 5 s later).
in_stage() {
    local left=$(( STAGE_END - SECONDS ))
    [ "$left" -lt 1 ] && return 124
    timeout -k 5 "$left" "$@"
}

# The first of a stage's two steps (interop: JAX then hlo4j; xlaspmd: hlo4j then XLA): what is left less 25 s (20 s
# and the 5 s SIGKILL grace; half of the stage when it is under 50 s), so that the second step always gets its turn.
in_stage_first() {
    local left=$(( STAGE_END - SECONDS )) keep=25
    [ $(( STAGE_T / 2 )) -lt $keep ] && keep=$(( STAGE_T / 2 ))
    left=$(( left - keep ))
    [ "$left" -lt 1 ] && return 124
    timeout -k 5 "$left" "$@"
}

# What the machine has, as shell assignments (PY_VERSION JAX JAXLIB PLUGIN PLUGIN_PKG PLUGIN_VERSION NV_LIBS CUDA_DIR
# SITES), found without importing jax: the site-packages folders (GPU_CHECK_SITE first when set; jax's own folder,
# site's and sys.path's *-packages), the plugin (jax_plugins/xla_cuda13 before xla_cuda12; xla_cuda_plugin.so, or
# the Bazel name pjrt_c_api_gpu_plugin.so), the nvidia-* wheels' lib folders the plugin dlopens (cudart, cublas,
# cudnn, nccl, nvrtc, cusolver, cufft, nvshmem ...) and the CUDA folder with nvvm/libdevice and bin/ptxas. As JAX
# does (jax-ml/jax cec06d11): jax_plugins/cuda/__init__.py _get_library_path takes xla_cuda_plugin.so beside the
# package, else pjrt_c_api_gpu_plugin.so, and _load_nvidia_libraries preloads nvidia.<pkg>/lib/<soname>;
# jax/_src/lib/__init__.py _cuda_path takes $CUDA_ROOT, else nvidia.cu13, else nvidia.cuda_nvcc, for
# xla_gpu_cuda_data_dir (jax/_src/compiler.py).
discover_py='
import glob, importlib.metadata as md, importlib.util, os, shlex, site, sys
def version(dist):
    try:
        return md.version(dist)
    except Exception:
        return "absent"
sites = [os.environ.get("GPU_CHECK_SITE", "")]
spec = importlib.util.find_spec("jax")
if spec is not None and spec.origin:
    sites.append(os.path.dirname(os.path.dirname(spec.origin)))
try:
    sites += site.getsitepackages() + [site.getusersitepackages()]
except Exception:
    pass
sites += [p for p in sys.path if p.endswith("-packages")]
seen = []
for d in sites:
    if d and os.path.isdir(d) and os.path.realpath(d) not in [os.path.realpath(s) for s in seen]:
        seen.append(d)
plugin, pkg = "", ""
for d in seen:
    for name in ("xla_cuda13", "xla_cuda12"):
        for so in ("xla_cuda_plugin.so", "pjrt_c_api_gpu_plugin.so"):
            p = os.path.join(d, "jax_plugins", name, so)
            if not plugin and os.path.isfile(p):
                plugin, pkg = p, name
libs = [l for d in seen for l in sorted(glob.glob(os.path.join(d, "nvidia", "*", "lib")))]
cuda = os.environ.get("CUDA_ROOT", "")
for d in seen:
    for c in ("cu13", "cuda_nvcc"):
        p = os.path.join(d, "nvidia", c)
        if not cuda and (os.path.isdir(os.path.join(p, "nvvm", "libdevice")) or os.path.isfile(os.path.join(p, "bin", "ptxas"))):
            cuda = p
dist = {"xla_cuda13": "jax-cuda13-pjrt", "xla_cuda12": "jax-cuda12-pjrt"}.get(pkg, "")
out = {"PY_VERSION": sys.version.split()[0], "JAX": version("jax"), "JAXLIB": version("jaxlib"), "PLUGIN": plugin,
       "PLUGIN_PKG": dist or "none", "PLUGIN_VERSION": version(dist) if dist else "absent", "NV_LIBS": ":".join(libs),
       "CUDA_DIR": cuda, "SITES": " ".join(seen)}
for k, v in out.items():
    print(k + "=" + shlex.quote(v))
'

# The PJRT C API version and table size the plugin reports (GetPjrtApi through ctypes: no client, no GPU work).
probe_py='
import ctypes, sys
try:
    p = ctypes.CDLL(sys.argv[1]).GetPjrtApi
    p.restype = ctypes.c_void_p
    a = p()
    print("%d.%d (PJRT_Api %d bytes)" % (ctypes.c_int.from_address(a + 32).value, ctypes.c_int.from_address(a + 36).value,
                                         ctypes.c_uint64.from_address(a).value))
except Exception as e:
    print("unreadable (%s)" % str(e).splitlines()[0])
'

# Packs the stages' work folder into $OUT as one file (replaced whole, so a run killed from outside leaves the last
# complete one); above 15 MiB only the texts go (the device brings back files of at most 16 MiB).
pack() {
    local files=$1 work=$2
    [ -n "$(ls -A "$work" 2>/dev/null)" ] || return 0
    tar czf "$files.tmp" -C "$work" . 2>/dev/null
    if [ "$(stat -c %s "$files.tmp" 2>/dev/null || echo 0)" -gt $((15 * 1048576)) ]; then
        (cd "$work" && find . -type f ! -name '*.npy' -print0 | tar czf "$files.tmp" --null -T -) 2>/dev/null
    fi
    mv -f "$files.tmp" "$files"
}

run() {
    local stages=("$@") s
    [ ${#stages[@]} -eq 0 ] && stages=(smoke jax moe interop xlaspmd)
    for s in "${stages[@]}"; do
        case "$s" in smoke|jax|moe|interop|xlaspmd) ;; *) echo "unknown stage '$s' (smoke, jax, moe, interop, xlaspmd)" >&2; exit 2 ;; esac
    done
    BUDGET=${GPU_CHECK_BUDGET_S:-570}
    SECONDS=0   # the budget counts from here (selftest calls run after minutes of its own)
    local log=${OUT:-/tmp}/gpu-check.log unpacked=""
    mkdir -p "$(dirname "$log")"
    : > "$log"
    # The device call carries .pjrt-gpu.tgz (see build); unpacked here, in the budget (a few seconds), when there is no
    # bundle or the .tgz is newer than the bundle's marker (a warm machine keeps an older call's .pjrt-gpu/).
    if [ -f "$ROOT/.pjrt-gpu.tgz" ] && { [ ! -x "$B/jre/bin/java" ] || [ "$ROOT/.pjrt-gpu.tgz" -nt "$B/unpacked" ]; }; then
        rm -rf "$B/jre" "$B/lib"   # (not all of $B: a selftest keeps its fake site and $OUT there)
        { tar xzf "$ROOT/.pjrt-gpu.tgz" -C "$ROOT" 2>&1 || python3 -m tarfile -e "$ROOT/.pjrt-gpu.tgz" "$ROOT" 2>&1; } | tee -a "$log"
        touch "$B/unpacked"
        unpacked="unpacked $ROOT/.pjrt-gpu.tgz in $SECONDS s"
    fi
    [ -x "$B/jre/bin/java" ] || { echo "no bundle at $B (nor $ROOT/.pjrt-gpu.tgz): run 'scripts/gpu-check.sh build' where Java and Maven are" | tee -a "$log" >&2; exit 2; }
    # The stages' files go to a work folder, packed into $OUT after each stage (pack, above).
    local work files=$(dirname "$log")/gpu-check-files.tgz
    work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-work.XXXXXX")
    rm -f "$files"
    local PY PY_VERSION=absent JAX=absent JAXLIB=absent PLUGIN="" PLUGIN_PKG=none PLUGIN_VERSION=absent NV_LIBS="" CUDA_DIR="" SITES=""
    PY=$(command -v python3 || command -v python || true)
    [ -n "$PY" ] && eval "$("$PY" -c "$discover_py" 2>/dev/null)"
    if [ -n "${HLO4J_PJRT_PLUGIN:-}" ]; then PLUGIN=$HLO4J_PJRT_PLUGIN PLUGIN_PKG="from HLO4J_PJRT_PLUGIN" PLUGIN_VERSION=""; fi
    # Before any process loads the plugin: its CUDA libraries by soname, ptxas and libdevice for XLA.
    export LD_LIBRARY_PATH="$NV_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    [ -n "$CUDA_DIR" ] && export XLA_FLAGS="--xla_gpu_cuda_data_dir=$CUDA_DIR${XLA_FLAGS:+ $XLA_FLAGS}"
    export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-1} PYTHONUNBUFFERED=1
    local api=none gpu java commit jsig="" layouts
    [ -n "$PLUGIN" ] && [ -n "$PY" ] && api=$("$PY" -c "$probe_py" "$PLUGIN" 2>&1 | tail -1)
    gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
    java=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$B/jre/release" 2>/dev/null)
    commit=$(cat "$B/commit" 2>/dev/null || echo unknown)
    # The struct layouts' PJRT C API version, from the bundle's own Abi (no copy here to drift from it).
    layouts=$("${JAVA[@]}" io.hlo4j.runtime.pjrt.PjrtSmoke --layouts 2>/dev/null) || layouts="unknown (PjrtSmoke --layouts failed)"
    # Signal chaining: a plugin that installs its own SIGSEGV/SIGBUS handlers must not take the JVM's.
    [ -f "$B/jre/lib/libjsig.so" ] && jsig=$B/jre/lib/libjsig.so
    # A JVM crash report (hs_err) goes where the log goes: only $OUT comes back from the device machine.
    # (into the work folder, packed into $OUT; the log names the crashing frame).
    local java_run=("${JAVA[0]}" -XX:ErrorFile="$work/hs_err_pid%p.log" "${JAVA[@]:1}")
    local rcs=()
    {
        echo "gpu-check versions: hlo4j $commit, java ${java:-unknown}, python ${PY_VERSION} (${PY:-no python}), jax $JAX, jaxlib $JAXLIB," \
             "plugin $PLUGIN_PKG${PLUGIN_VERSION:+ $PLUGIN_VERSION}, PJRT C API $api (hlo4j layouts $layouts), GPU ${gpu:-unknown (no nvidia-smi)}"
        echo "gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ) stages ${stages[*]} budget ${BUDGET}s${unpacked:+ ($unpacked)}"
        echo "plugin: ${PLUGIN:-none found (set HLO4J_PJRT_PLUGIN)}"
        echo "site-packages searched: ${SITES:-none}"
        echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
        echo "XLA_FLAGS=${XLA_FLAGS:-} ${CUDA_DIR:+(ptxas: $(ls "$CUDA_DIR"/bin/ptxas 2>/dev/null || echo missing))}"
        if [ -n "$PLUGIN" ] && command -v readelf >/dev/null; then
            echo "plugin dynamic section: $(readelf -d "$PLUGIN" 2>/dev/null | grep -E 'NEEDED|RUNPATH|RPATH' | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')"
        fi
        local i j STAGE_T STAGE_END RESERVE_S dir crashes=""
        for i in "${!stages[@]}"; do
            local rc s=${stages[$i]}
            RESERVE_S=0
            for j in "${stages[@]:$((i + 1))}"; do RESERVE_S=$(( RESERVE_S + MIN_S[$j] )); done
            STAGE_T=""
            case "$s" in
                smoke)
                    echo "== smoke: PJRT smoke programs (at $SECONDS s)"
                    if [ -z "$PLUGIN" ]; then echo "skipped: no CUDA PJRT plugin"; rc=skipped
                    else stage_begin "${CAP_S[smoke]}" && in_stage env LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}" "${java_run[@]}" io.hlo4j.runtime.pjrt.PjrtSmoke "$PLUGIN" preallocate=false; rc=$?
                    fi ;;
                jax)
                    echo "== jax: the MoE step in JAX (at $SECONDS s)"
                    if [ -z "$PY" ]; then echo "skipped: neither python3 nor python on PATH"; rc=skipped
                    else stage_begin "${CAP_S[jax]}" && in_stage "$PY" -u "$ROOT/bench/jax_moe_step.py"; rc=$?
                    fi ;;
                moe)
                    echo "== moe: MoE layer forward+backward, f32 and bf16, GPU vs interpreter; hlo4j timing (at $SECONDS s)"
                    if [ -z "$PLUGIN" ]; then echo "skipped: no CUDA PJRT plugin"; rc=skipped
                    else stage_begin "${CAP_S[moe]}" && in_stage env MOE_DUMP_DIR="$work/moe" LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}" "${java_run[@]}" io.hlo4j.gpucheck.GpuMoeCheck "$PLUGIN" preallocate=false; rc=$?
                    fi ;;
                interop)
                    # JAX (CPU, 8 simulated devices) writes programs, inputs and outputs; hlo4j's interpreter runs each.
                    echo "== interop: programs exported from JAX, run on hlo4j's interpreter (at $SECONDS s)"
                    dir=$work/interop
                    if [ -z "$PY" ]; then echo "skipped: neither python3 nor python on PATH"; rc=skipped
                    elif stage_begin "${CAP_S[interop]}"; then
                        rm -rf "$dir"
                        in_stage_first "$PY" -u "$ROOT/bench/jax_interop.py" "$dir"; rc=$?
                        if [ -f "$dir/manifest.json" ]; then
                            local exported=$rc   # 3: JAX failed on some programs; their lines say which
                            in_stage "${java_run[@]}" io.hlo4j.gpucheck.InteropCheck "$dir"; rc=$?
                            [ "$rc" -eq 0 ] && rc=$exported
                        fi
                    else rc=124
                    fi ;;
                xlaspmd)
                    # hlo4j writes its sharded programs and compile options; XLA compiles and runs them on 8 CPU devices.
                    echo "== xlaspmd: hlo4j's sharded programs compiled by XLA for N partitions (JAX's CPU devices) (at $SECONDS s)"
                    dir=$work/xlaspmd
                    if [ -z "$PY" ]; then echo "skipped: neither python3 nor python on PATH"; rc=skipped
                    elif stage_begin "${CAP_S[xlaspmd]}"; then
                        rm -rf "$dir"
                        in_stage_first "${java_run[@]}" io.hlo4j.gpucheck.XlaSpmdEmit "$ROOT" "$dir"; rc=$?
                        if [ -f "$dir/manifest.json" ]; then
                            local emit=$rc
                            in_stage "$PY" -u "$ROOT/bench/xla_spmd.py" "$dir" env LD_PRELOAD="$jsig${LD_PRELOAD:+:$LD_PRELOAD}" "${java_run[@]}"; rc=$?
                            [ "$rc" -eq 0 ] && rc=$emit
                        fi
                    else rc=124
                    fi ;;
            esac
            if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ "${STAGE_T:-0}" -ge 10 ]; then
                echo "$s ran out of its time (${STAGE_T:-0} s of the ${BUDGET} s budget; rc=$rc: stopped by its timeout)"
            fi
            local crash
            for crash in "$work"/hs_err_pid*.log; do
                [ -f "$crash" ] && [[ " $crashes " != *" $crash "* ]] || continue
                echo "JVM crash report $(basename "$crash") (in $(basename "$files")): $(grep -A1 -m1 '^# Problematic frame' "$crash" | tail -1)"
                crashes+=" $crash"
            done
            echo "$s rc=$rc"
            rcs+=("$s=$rc")
            pack "$files" "$work"
        done
        echo "done at $SECONDS s: ${rcs[*]}"
    } 2>&1 | quiet | tee -a "$log"
    echo "== ratios (goal: within 1.05)" | tee -a "$log"
    ratios "$log" | tee -a "$log"
    pack "$files" "$work"
    [ -f "$files" ] && echo "files: $files ($(stat -c %s "$files") bytes: $(tar tzf "$files" | grep -c '[^/]$') files of the stages)" | tee -a "$log"
    rm -rf "$work"
    # Exit 0 when every stage ended rc=0, else 1 (2: usage, no bundle).
    grep -q "^done at [0-9]* s:\( [a-z]*=0\)*$" "$log"
}

selftest() {
    set -e
    local mock=$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so
    : "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"; export JAVA_HOME
    [ -f "$mock" ] || (cd "$ROOT" && mvn -B -q ${HLO4J_MVN_OFFLINE:--o} -pl runtime -am test-compile)
    [ -x "$B/jre/bin/java" ] || build
    # Compiled into the bundle's folder, not beside the scripts.
    local py
    for py in jax_moe_step jax_interop xla_spmd; do
        python3 -c 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)' \
            "$ROOT/bench/$py.py" "$B/$py.pyc" && rm -f "$B/$py.pyc" && echo "bench/$py.py compiles"
    done
    # The interop stage's Java side on the committed fixtures (JAX's printed form, numpy's values): every run ok.
    "${JAVA[@]}" io.hlo4j.gpucheck.InteropCheck "$ROOT/cli/src/test/resources/jaxexport" 2>&1 | quiet
    # ... and on a corrupted copy it must fail by name: relu-dot's expected result replaced by another 8x6 array, the
    # router's last expected result missing (a FAIL line, not a stack trace); the summary, exit status 1.
    local bad=$B/interop-bad rc
    rm -rf "$bad" && cp -r "$ROOT/cli/src/test/resources/jaxexport" "$bad"
    cp "$bad/relu-dot-mesh.out0.npy" "$bad/relu-dot.out0.npy" && rm "$bad/router.out3.npy"
    rc=0; "${JAVA[@]}" io.hlo4j.gpucheck.InteropCheck "$bad" > "$bad.log" 2>&1 || rc=$?
    quiet < "$bad.log"
    local w
    for w in "^interop relu-dot (1 device): 1 results, max rel err .* -> FAIL (tol" "^interop router (1 device): FAIL .*router.out3.npy" \
             "^INTEROP FAILED: 2 of 6 runs (0 refused)$"; do
        grep -q "$w" "$bad.log" || { echo "interop selftest (corrupted copy): no line matching '$w'"; return 1; }
    done
    if grep -q "Exception in thread\|^[[:space:]]*at " "$bad.log" || [ "$rc" -ne 1 ]; then
        echo "interop selftest (corrupted copy): rc=$rc (1 wanted) or a stack trace"; return 1
    fi
    echo "interop selftest: a corrupted copy fails by name, INTEROP FAILED, rc=1: ok"
    rm -rf "$bad" "$bad.log"
    # The xlaspmd stage's Java side: the programs emitted, each checked on the interpreter partitioned and (global-dot)
    # through hlo4j's PJRT binding on the mock with 4 devices; then the CPU-plugin search on a folder holding the mock.
    rm -rf "$B/xlaspmd-selftest" && mkdir -p "$B/xlaspmd-selftest/site/jaxlib"
    "${JAVA[@]}" io.hlo4j.gpucheck.XlaSpmdEmit "$ROOT" "$B/xlaspmd-selftest/out" "$mock" 2>&1 | quiet
    cp "$mock" "$B/xlaspmd-selftest/site/jaxlib/pjrt_c_api_cpu_plugin.so"
    python3 "$ROOT/bench/xla_spmd.py" --probe-plugin "$B/xlaspmd-selftest/site" | tee "$B/xlaspmd-selftest/probe.txt"
    grep -q "^cpu pjrt plugin: $B/xlaspmd-selftest/site/jaxlib/pjrt_c_api_cpu_plugin.so (.*PJRT C API 0.95)" "$B/xlaspmd-selftest/probe.txt" \
        || { echo "xla_spmd.py --probe-plugin did not find the mock as a CPU plugin"; return 1; }
    rm -rf "$B/xlaspmd-selftest"
    # The mock runs only single-op programs: the interpreter side completes, the PJRT side must refuse by name.
    # Each program's text is dumped (MOE_DUMP_DIR) before it is compiled: 6 checks and, with DENSE named and refused by
    # its size (MOE_DENSE_MAX_GIB=0), the 2 FUSED benches. Every bench failed on the mock: they count, exit status 1.
    rm -rf "$B/moe-dump"
    rc=0
    MOE_CHECK_T=8 MOE_CHECK_H=16 MOE_CHECK_M=32 MOE_CHECK_E=4 MOE_CHECK_K=2 MOE_T=16 MOE_H=16 MOE_M=32 MOE_ITERS=2 MOE_DUMP_DIR=$B/moe-dump \
        MOE_BENCH_METHODS=fused_moe,dense_moe MOE_DENSE_MAX_GIB=0 "${JAVA[@]}" io.hlo4j.gpucheck.GpuMoeCheck "$mock" num_devices=1 > "$B/moe-mock.log" 2>&1 || rc=$?
    quiet < "$B/moe-mock.log"
    [ "$(ls "$B/moe-dump"/*-check.mlir "$B/moe-dump"/*-bench.mlir 2>/dev/null | wc -l)" -eq 8 ] && grep -q "^module" "$B/moe-dump/bfloat16-fused_moe-bench.mlir" \
        || { echo "GpuMoeCheck: MOE_DUMP_DIR did not get the 8 programs: $(ls "$B/moe-dump" 2>&1)"; return 1; }
    for w in "^BENCH hlo4j float32 dense_moe SKIPPED: its per-row kernel copies (3 x \[T\*k, H, M\] = 0.0 GiB, T\*k/E = 4 times the expert weights) exceed MOE_DENSE_MAX_GIB=0$" \
             "^BENCH hlo4j bfloat16 fused_moe FAILED " "^MOE BENCH FAILED: 2 of 2 timed, 2 skipped by size$"; do
        grep -q "$w" "$B/moe-mock.log" || { echo "GpuMoeCheck on the mock: no line matching '$w'"; return 1; }
    done
    [ "$rc" -eq 1 ] || { echo "GpuMoeCheck on the mock: exit $rc (1 wanted: its benches failed)"; return 1; }
    # An unknown method name is refused by name before the plugin is opened (exit 2).
    rc=0; MOE_BENCH_METHODS=fused,dense "${JAVA[@]}" io.hlo4j.gpucheck.GpuMoeCheck "$mock" > "$B/moe-mock.log" 2>&1 || rc=$?
    grep -q "^MOE_BENCH_METHODS: .*unknown value 'fused'" "$B/moe-mock.log" && [ "$rc" -eq 2 ] \
        || { echo "GpuMoeCheck: MOE_BENCH_METHODS=fused,dense gave exit $rc: $(quiet < "$B/moe-mock.log")"; return 1; }
    echo "GpuMoeCheck on the mock: 8 programs dumped, DENSE refused by its size, bench failures counted (exit 1), an unknown method refused (exit 2): ok"
    rm -rf "$B/moe-dump" "$B/moe-mock.log"
    # The timing code of the bench (device buffers, execute, await, read back, cost analysis) on a dot the mock runs,
    # its result checked against the interpreter; its BENCH line must parse for the ratio.
    "${JAVA[@]}" io.hlo4j.gpucheck.GpuMoeCheck --timing-selftest "$mock" 2>&1 | quiet | tee "$B/timing-selftest.log"
    grep -q "^timing selftest on pjrt:mock: 1 outputs, .* -> ok$" "$B/timing-selftest.log" || { echo "GpuMoeCheck --timing-selftest did not pass"; return 1; }
    echo "BENCH jax float32 0.100 ms 0.0001 TFLOP/s" >> "$B/timing-selftest.log"
    ratios "$B/timing-selftest.log" > "$B/timing-ratio.log"; cat "$B/timing-ratio.log"
    grep -q "^RATIO float32 hlo4j/jax = [0-9.]* (hlo4j dot_selftest " "$B/timing-ratio.log" || { echo "no RATIO from the timing selftest's BENCH line"; return 1; }
    rm -f "$B/timing-ratio.log"
    rm -f "$B/timing-selftest.log"
    # The comparison harness against itself: every line must say ok (errors 0).
    MOE_CHECK_T=8 MOE_CHECK_H=16 MOE_CHECK_M=32 MOE_CHECK_E=4 MOE_CHECK_K=2 "${JAVA[@]}" io.hlo4j.gpucheck.GpuMoeCheck interpreter 2>&1 | quiet
    printf 'BENCH hlo4j float32 fused_moe 10.0 ms 5.0 TFLOP/s\nBENCH hlo4j float32 standard_moe 8.0 ms 6.0 TFLOP/s\nBENCH jax float32 9.0 ms 5.5 TFLOP/s\n' > "$B/ratio-selftest.log"
    ratios "$B/ratio-selftest.log"
    run_selftest
}

# What may come back from a device call's $OUT: at most 8 files, 16 MiB each, 2 folders down, plain names.
check_out() {
    local out=$1 n bad=0 f
    n=$(find "$out" -type f | wc -l)
    [ "$n" -le 8 ] || { echo "run selftest: $n files in \$OUT (the device brings back 8): $(ls -R "$out" | head -20)"; bad=1; }
    while IFS= read -r f; do
        [ "$(stat -c %s "$f")" -le $((16 * 1048576)) ] || { echo "run selftest: $f is over 16 MiB"; bad=1; }
        [[ "${f#"$out"/}" =~ ^([A-Za-z0-9._-]+/){0,2}[A-Za-z0-9._-]+$ ]] || { echo "run selftest: $f is too deep or oddly named for the device"; bad=1; }
    done < <(find "$out" -type f)
    return $bad
}

# `run` itself on a fake site-packages: the mock as jax_plugins/xla_cuda12/xla_cuda_plugin.so, nvidia-* lib folders,
# a CUDA folder with nvvm/libdevice. Checks what the log must say; the jax stage fails here (no jax), and must not
# stop the stage after it.
run_selftest() {
    local site=$B/selftest-site out=$B/selftest-out log
    # First, what the device gets: only the files a call sends (tracked and untracked-not-ignored) and .pjrt-gpu.tgz,
    # no .pjrt-gpu/: run must unpack it and run the smoke stage (on the mock) from that copy.
    local tree=$B/selftest-tree w
    rm -rf "$tree" "$out" && mkdir -p "$tree" "$out"
    [ -f "$ROOT/.pjrt-gpu.tgz" ] || { echo "run selftest: no $ROOT/.pjrt-gpu.tgz (run build)"; return 1; }
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$tree")
    cp "$ROOT/.pjrt-gpu.tgz" "$tree/"
    w=$(tar tzf "$ROOT/.pjrt-gpu.tgz")   # (not piped into grep -q: pipefail and SIGPIPE)
    grep -qx '.pjrt-gpu/run.sh' <<< "$w" || { echo "run selftest: .pjrt-gpu.tgz has no .pjrt-gpu/run.sh (build packs it)"; return 1; }
    local rc=0
    (OUT=$out HLO4J_PJRT_PLUGIN=$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so GPU_CHECK_BUDGET_S=120 bash "$tree/scripts/gpu-check.sh" run smoke >/dev/null 2>&1) || rc=$?
    log=$out/gpu-check.log
    grep -q "^done at [0-9]* s: smoke=0$" "$log" && [ $rc -eq 0 ] || { echo "run selftest (a tree as the device gets it): exit $rc with $(grep '^done at' "$log") (0 with smoke=0 wanted)"; return 1; }
    for w in "^gpu-check .* stages smoke budget 120s (unpacked $tree/.pjrt-gpu.tgz in [0-9]* s)$" "^plugin .*libpjrt_mock.so: PJRT C API 0.95" "^smoke rc=[0-9]" "^done at "; do
        grep -q "$w" "$log" || { echo "run selftest (a tree as the device gets it): no line matching '$w' in $log"; cat "$log"; return 1; }
    done
    check_out "$out" || return 1
    # A warm machine: the unpacked bundle is used again, unless a newer .tgz came with the call (this time through
    # .pjrt-gpu/run.sh, the smoke stage alone, which came in the .tgz).
    (OUT=$out HLO4J_PJRT_PLUGIN=$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so GPU_CHECK_BUDGET_S=120 bash "$tree/.pjrt-gpu/run.sh" >/dev/null 2>&1) || true
    grep -q "^gpu-check .* stages smoke budget 120s$" "$log" || { echo "run selftest (a tree as the device gets it): .pjrt-gpu/run.sh did not run smoke, or unpacked again: $(sed -n 2p "$log")"; return 1; }
    sleep 1 && touch "$tree/.pjrt-gpu.tgz"
    (OUT=$out HLO4J_PJRT_PLUGIN=$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so GPU_CHECK_BUDGET_S=120 bash "$tree/scripts/gpu-check.sh" run smoke >/dev/null 2>&1) || true
    grep -q "^gpu-check .* (unpacked $tree/.pjrt-gpu.tgz in [0-9]* s)$" "$log" || { echo "run selftest (a tree as the device gets it): a newer .tgz not unpacked: $(sed -n 2p "$log")"; return 1; }
    echo "run selftest: ok (a tree of the files a device call sends + .pjrt-gpu.tgz: unpacked and ran, kept on a second run, unpacked again when newer; $(grep '^done at' "$log"))"
    rm -rf "$tree" "$out"
    rm -rf "$site" "$out" && mkdir -p "$site/jax_plugins/xla_cuda12" "$site/nvidia/cublas/lib" "$site/nvidia/cudnn/lib" \
        "$site/nvidia/cuda_nvcc/nvvm/libdevice" "$out"
    cp "$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so" "$site/jax_plugins/xla_cuda12/xla_cuda_plugin.so"
    rc=0
    (OUT=$out GPU_CHECK_SITE=$site GPU_CHECK_BUDGET_S=120 HLO4J_PJRT_PLUGIN='' run jax smoke >/dev/null 2>&1) || rc=$?
    log=$out/gpu-check.log
    [ $rc -eq 1 ] || { echo "run selftest: 'run jax smoke' without JAX exited $rc (1 wanted: a stage failed)"; return 1; }
    local want=("^gpu-check versions: hlo4j .*, java 25[^,]*, python [0-9.]* (.*python.*), jax .*, plugin jax-cuda12-pjrt .*, PJRT C API 0.95 (PJRT_Api 1080 bytes) (hlo4j layouts 0\.[0-9][0-9]*), GPU "
                "^plugin: $site/jax_plugins/xla_cuda12/xla_cuda_plugin.so$"
                "^LD_LIBRARY_PATH=$site/nvidia/cublas/lib:$site/nvidia/cudnn/lib"
                "^XLA_FLAGS=--xla_gpu_cuda_data_dir=$site/nvidia/cuda_nvcc"
                "^jax rc=[1-9]" "^== smoke" "^plugin .*xla_cuda_plugin.so: PJRT C API 0.95" "^smoke rc=[0-9]" "^done at .*: jax=[1-9][0-9]* smoke=")
    local w bad=0
    head -1 "$log" | grep -q "${want[0]}" || { echo "run selftest: first line is not the versions line: $(head -1 "$log")"; bad=1; }
    for w in "${want[@]:1}"; do
        grep -q "$w" "$log" || { echo "run selftest: no line matching '$w' in $log"; bad=1; }
    done
    if [ $bad -ne 0 ]; then cat "$log"; return 1; fi
    echo "run selftest: ok (the log of 'run jax smoke' on a fake site-packages: $(grep -c '' "$log") lines; $(grep '^done at' "$log"))"
    # The interop and xlaspmd stages wired as on the GPU machine, without JAX: a python3 whose "JAX export" copies the
    # committed fixtures (InteropCheck must pass them), the real xla_spmd.py (no JAX here: one FAIL line, then the CPU
    # plugin search finds the mock in GPU_CHECK_SITE and hlo4j's binding runs on it, where the mock refuses
    # cpu_device_count by name); every step's lines, the summaries, the rcs, no stack trace.
    mkdir -p "$site/jaxlib" "$site/copy" && cp "$ROOT/runtime/target/mock-pjrt/libpjrt_mock.so" "$site/jaxlib/pjrt_c_api_cpu_plugin.so"
    printf '#!/bin/bash\ncase "$*" in *jax_interop.py*) d="${@: -1}"; mkdir -p "$d" && cp %s/* "$d"/ && echo "export (selftest): the committed fixtures copied to $d"; exit $? ;; esac\nexec %s "$@"\n' \
        "$ROOT/cli/src/test/resources/jaxexport" "$(command -v python3)" > "$site/copy/python3"
    chmod +x "$site/copy/python3"
    (OUT=$out PATH=$site/copy:$PATH GPU_CHECK_SITE=$site GPU_CHECK_BUDGET_S=400 HLO4J_PJRT_PLUGIN='' run interop xlaspmd >/dev/null 2>&1) || true
    want=("^== interop" "^export (selftest): the committed fixtures copied" "^INTEROP OK (6 runs)$" "^interop rc=0$"
          "^== xlaspmd" "^XLASPMD EMIT OK$" "^xlaspmd: JAX unavailable (ModuleNotFoundError" "^cpu pjrt plugin: $site/jaxlib/pjrt_c_api_cpu_plugin.so (.*PJRT C API 0.95)"
          "^xlaspmd-pjrt global-dot (hlo4j's PJRT binding, 4 partitions): exit 1: .*cpu_device_count.* -> FAIL$" "^XLASPMD FAILED: 6$" "^xlaspmd rc=1$"
          "^done at [0-9]* s: interop=0 xlaspmd=1$")
    for w in "${want[@]}"; do
        grep -q "$w" "$log" || { echo "run selftest (interop, xlaspmd): no line matching '$w' in $log"; bad=1; }
    done
    grep -q "Traceback\|Exception in thread\|^[[:space:]]*at " "$log" && { echo "run selftest (interop, xlaspmd): a stack trace in $log"; bad=1; }
    # $OUT holds the log and one packed file with both stages' folders (the device brings back 8 files, 2 deep).
    check_out "$out" || bad=1
    local listing
    listing=$(tar tzf "$out/gpu-check-files.tgz" 2>/dev/null)   # (not piped into grep -q: pipefail and SIGPIPE)
    for w in ./interop/manifest.json ./interop/relu-dot.mlir ./xlaspmd/manifest.json ./xlaspmd/global-dot.options.pb; do
        grep -qx "$w" <<< "$listing" || { echo "run selftest (interop, xlaspmd): $w not in $out/gpu-check-files.tgz"; bad=1; }
    done
    if [ $bad -ne 0 ]; then cat "$log"; return 1; fi
    echo "run selftest: ok (interop and xlaspmd wired: $(grep '^INTEROP OK\|^XLASPMD EMIT OK\|^XLASPMD FAILED' "$log" | tr '\n' ' ')$(grep '^done at' "$log"))"
    # A stage that outlives its time: a python3 whose JAX export never ends, a 25 s budget. The interop stage must be
    # stopped at its end and say so; `done` must still be reached.
    mkdir -p "$site/bin" && printf '#!/bin/bash\ncase "$*" in *jax_interop.py*) exec sleep 600 ;; esac\nexec %s "$@"\n' "$(command -v python3)" > "$site/bin/python3"
    chmod +x "$site/bin/python3"
    (OUT=$out PATH=$site/bin:$PATH GPU_CHECK_SITE=$site GPU_CHECK_BUDGET_S=25 HLO4J_PJRT_PLUGIN='' run jax interop >/dev/null 2>&1) || true
    want=("^== interop" "^(time for this stage: [0-9]* s)" "^interop ran out of its time ([0-9]* s of the 25 s budget; rc=124" "^interop rc=124" "^done at [0-9]* s: jax=[1-9][0-9]* interop=124")
    for w in "${want[@]}"; do
        grep -q "$w" "$log" || { echo "run selftest (timeout): no line matching '$w' in $log"; bad=1; }
    done
    if [ $bad -ne 0 ]; then cat "$log"; return 1; fi
    echo "run selftest: ok (a stage past its time: $(grep '^interop ran out' "$log"); $(grep '^done at' "$log"))"
    rm -rf "$site" "$out"
}

case "${1:-}" in
    build) build ;;
    run) shift; run "$@" ;;
    selftest) selftest ;;
    run-selftest) run_selftest ;;   # the last part of selftest alone (needs the bundle and the mock built)
    *) echo "usage: scripts/gpu-check.sh build | run [smoke|jax|moe|interop|xlaspmd ...] | selftest" >&2; exit 2 ;;
esac
