#!/usr/bin/env bash
# bf16 vs fp32 GEMM at the SAE encoder shape, DJL and JavaCPP's PyTorch presets in one JVM
# (bench/Bf16Gemm.java; docs/design.md, "bfloat16"). Needs the presets in ~/.m2 (not a
# dependency of the build): org.bytedeco:pytorch-platform:$PRESETS (default 2.10.0-1.5.13).
#
# Usage: bench/bf16-gemm.sh [djl|presets|djl-only|presets-only|djl-bf16] [-Db=4096 -Dd=768 -Ds=6144
#   -Drounds=7]: which library runs first (default djl), or only one of them. Measured: the two
#   libtorch builds cannot share a process (docs/design.md), so djl and presets abort the JVM.
#   djl-bf16 casts a DJL array to bfloat16 (measured: the JVM aborts). PRESETS=2.7.1-1.5.12
#   picks another presets version from ~/.m2; JAR another sae4j jar.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
m2=${M2:-$HOME/.m2/repository}/org/bytedeco
presets=${PRESETS:-2.10.0-1.5.13}
jcpp=${presets#*-}
jar=${JAR:-$here/sae4j-cli/target/sae4j.jar}
[ -f "$jar" ] || (cd "$here" && mvn -B -q -o -DskipTests package)
ob=$(ls -d "$m2"/openblas/*-"$jcpp" | head -1)
obv=$(basename "$ob")
cp=$jar
for f in "$m2/pytorch/$presets/pytorch-$presets" "$m2/javacpp/$jcpp/javacpp-$jcpp" "$ob/openblas-$obv"; do
  cp=$cp:$f.jar:$f-linux-x86_64.jar
done
first=${1:-djl}
shift || true
exec java -Xmx8g -Dai.djl.offline=true "$@" -cp "$cp" "$here/bench/Bf16Gemm.java" "$first"
