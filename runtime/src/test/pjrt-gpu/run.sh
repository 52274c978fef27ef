#!/bin/bash
# PJRT smoke on a GPU machine with JAX's CUDA plugin: probe the plugin's C API version, then PjrtSmoke.
# Usage there: bash .pjrt-gpu/run.sh (from the repository root; the bundle from build-bundle.sh).
cd "$(dirname "$0")/.."
B=.pjrt-gpu
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
SP=$(python3 -c 'import jax, os; print(os.path.dirname(os.path.dirname(jax.__file__)))')
python3 -c 'import jax, jaxlib; print("jax", jax.__version__, "jaxlib", jaxlib.__version__)'
ls -d $SP/jax_plugins/*/ ; ls $SP/nvidia/
PLUGIN=$(ls $SP/jax_plugins/xla_cuda*/xla_cuda_plugin.so | head -1)
echo "plugin: $PLUGIN"
LIBS=$(ls -d $SP/nvidia/*/lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:-}"
CUDA_DIR=$SP/nvidia/cu13; [ -d "$CUDA_DIR" ] || CUDA_DIR=$SP/nvidia/cuda_nvcc
export XLA_FLAGS="--xla_gpu_cuda_data_dir=$CUDA_DIR" TF_CPP_MIN_LOG_LEVEL=1
ls $CUDA_DIR/bin 2>/dev/null | head -5
python3 - "$PLUGIN" <<'PY'
import ctypes, sys
l = ctypes.CDLL(sys.argv[1]); f = l.GetPjrtApi; f.restype = ctypes.c_void_p; p = f()
print("probe: PJRT_Api struct_size", ctypes.c_uint64.from_address(p).value, "version",
      ctypes.c_int.from_address(p + 32).value, ".", ctypes.c_int.from_address(p + 36).value)
PY
J=("$B/jre/bin/java" --enable-native-access=ALL-UNNAMED -cp "$B/lib/*")
timeout 240 "${J[@]}" io.hlo4j.runtime.pjrt.PjrtSmoke "$PLUGIN" preallocate=false
rc=$?
echo "java rc=$rc"
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
  echo "retry with libjsig preloaded"
  LD_PRELOAD=$B/jre/lib/libjsig.so timeout 200 "${J[@]}" io.hlo4j.runtime.pjrt.PjrtSmoke "$PLUGIN" preallocate=false
  echo "java (jsig) rc=$?"
fi
