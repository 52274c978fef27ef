#!/bin/bash
# The smoke stage of the GPU check alone: `gpu-check.sh run smoke` (plugin discovery, CUDA library paths, the
# versions line, $OUT/gpu-check.log). Usage there: bash .pjrt-gpu/run.sh (the bundle from build-bundle.sh).
exec bash "$(cd "$(dirname "$0")/.." && pwd)/scripts/gpu-check.sh" run smoke "$@"
