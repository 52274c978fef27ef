#!/bin/bash
# The smoke stage of the GPU check alone: `gpu-check.sh run smoke` (plugin discovery, CUDA library paths, the
# versions line, $OUT/gpu-check.log). Usage there: bash .pjrt-gpu/run.sh (packed into .pjrt-gpu.tgz by build), or
# bash runtime/src/test/pjrt-gpu/run.sh (what travels with the tree, next to .pjrt-gpu.tgz).
D=$(cd "$(dirname "$0")" && pwd)
ROOT=$D/..
[ -f "$ROOT/scripts/gpu-check.sh" ] || ROOT=$D/../../../..
exec bash "$ROOT/scripts/gpu-check.sh" run smoke "$@"
