#!/bin/bash
# Builds .pjrt-gpu/ at the repository root: a jlinked Java 25 runtime (java.base, jdk.unsupported,
# java.logging for protobuf-java; ~45 MiB) + the runtime/mlir-dialects classes + protobuf-java, and
# run.sh, for a GPU machine with JAX's CUDA PJRT plugin but no Java. Run after
# `mvn -B -q -pl runtime -am test-compile`. Keep .pjrt-gpu ignored (.git/info/exclude: /.pjrt-gpu/).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../../.." && pwd)
: "${JAVA_HOME:=/usr/lib/jvm/temurin-25-jdk-amd64}"
B=$ROOT/.pjrt-gpu
rm -rf "$B" && mkdir -p "$B/lib"
"$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.unsupported,java.logging --strip-debug --no-header-files \
  --no-man-pages --compress=zip-9 --output "$B/jre"
(cd "$ROOT/runtime/target/classes" && "$JAVA_HOME/bin/jar" cf "$B/lib/runtime.jar" io/hlo4j/runtime/pjrt io/hlo4j/runtime/hlo)
(cd "$ROOT/mlir-dialects/target/classes" && "$JAVA_HOME/bin/jar" cf "$B/lib/mlir.jar" .)
cp "$HOME/.m2/repository/com/google/protobuf/protobuf-java/4.33.5/protobuf-java-4.33.5.jar" "$B/lib/"
cp "$(dirname "$0")/run.sh" "$B/run.sh"
du -sh "$B"
