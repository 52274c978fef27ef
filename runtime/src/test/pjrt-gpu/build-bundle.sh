#!/bin/bash
# Builds .pjrt-gpu/ at the repository root (scripts/gpu-check.sh build: the jars, a jlinked Java 25 runtime and
# run.sh, the smoke-only run, ~50 MiB) and packs it as .pjrt-gpu.tgz, the file a device call carries. The full check
# is `bash scripts/gpu-check.sh run` on the GPU machine. .pjrt-gpu and .pjrt-gpu.tgz stay ignored (.gitignore).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
bash "$ROOT/scripts/gpu-check.sh" build
