#!/bin/bash
# Builds .pjrt-gpu/ at the repository root (scripts/gpu-check.sh build: the jars and a jlinked Java 25 runtime,
# ~50 MiB) and adds run.sh, the smoke-only run. The full check is `bash scripts/gpu-check.sh run` on the GPU
# machine. .pjrt-gpu stays ignored (.gitignore).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
bash "$ROOT/scripts/gpu-check.sh" build
cp "$(dirname "$0")/run.sh" "$ROOT/.pjrt-gpu/run.sh"
