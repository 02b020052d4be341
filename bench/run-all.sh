#!/usr/bin/env bash
# Every benchmark of BENCHMARKS.md in one sitting, each part holding the machine's benchmark
# lock (flock /tmp/bench.lock) from start to end so that other benchmarks do not overlap it.
# Each part prints what its own script prints; this script only adds a header (CPU, flags,
# date, load average) and a line per part with its start time and load. It writes no table of
# its own: BENCHMARKS.md is updated by hand from this output.
#
# Usage: bench/run-all.sh [PART ...]
#   parts, in this order by default: forward sae large kernels organism seeds demo
#     forward   sae4j bench-forward (full, truncate) interleaved with gpt2_torch.py, then
#               truncate against capture (store overhead); needs GPT2_TORCH
#     sae       bench/sae_table.py: the SAE training rows against bench/sae_torch.py
#     large     bench/large-models.sh: billion-parameter capture against transformers
#     kernels   bench/kernels.sh: cost of the AVX2 pin (pinned against SAE4J_KERNELS=native)
#     organism  the default four-task organism: train (timed) and evaluate on 200 problems
#     seeds     bench/organism-seeds.sh: the organism carry-check acceptance per seed
#     demo      ./sae4j demo with an empty organism cache (timed), into a temporary directory
# Env:
#   PY         python with torch 2.13 (+ transformers 5.18 for large); default python3
#   GPT2_TORCH path of gpt2_torch.py (default ../shared/bench/gpt2_torch.py); forward is
#              skipped with a message when it is missing
#   ROUNDS     rounds for forward, sae and kernels (default 3)
#   MODELS     large-models subset, e.g. "gpt2-medium llama-3.2-1b" (default: all eight)
#   SEEDS      organism seeds (default "1 2 3 4 5")
#   LOCK       lock file (default /tmp/bench.lock)
# The large part also reads large-models.sh's own variables (WORK, TOKENS, BATCH, WAIT_S).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
PY=${PY:-python3}
GPT2_TORCH=${GPT2_TORCH:-$root/../shared/bench/gpt2_torch.py}
ROUNDS=${ROUNDS:-3}
SEEDS=${SEEDS:-1 2 3 4 5}
LOCK=${LOCK:-/tmp/bench.lock}
jar=$root/sae4j-cli/target/sae4j.jar
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(forward sae large kernels organism seeds demo)

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "# sae4j benchmarks, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null)"
cpu() { lscpu | sed -n "s/^$1: *//p"; }
echo "# CPU: $(cpu 'Model name') (family $(cpu 'CPU family'), model $(cpu Model)), $(nproc) CPUs;" \
  "RAM $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "# flags: $(lscpu | sed -n 's/^Flags: *//p' | tr ' ' '\n' \
  | grep -E '^(avx|fma|f16c|amx)' | tr '\n' ' ')"
echo "# load average: $(load)"
echo "# java: $(java -version 2>&1 | head -1); python: $("$PY" -c \
  'import sys, torch; print(sys.version.split()[0], "torch", torch.__version__)' 2>&1 | tail -1)"

[ -f "$jar" ] || mvn -B -q -o -DskipTests package || exit 1

part_forward() {
  if [ ! -f "$GPT2_TORCH" ]; then
    echo "skipped: no gpt2_torch.py at $GPT2_TORCH (set GPT2_TORCH)"
    return
  fi
  local common=(--model small --batch 8 --ctx 256 --windows 3 --window-s 2.0 --warmup-s 1.0)
  for r in $(seq 1 "$ROUNDS"); do
    for mode in full truncate; do
      echo "round $r, $mode, sae4j:"
      java -Dai.djl.offline=true -jar "$jar" bench-forward "${common[@]}" --mode "$mode"
      echo "round $r, $mode, torch ($PY):"
      "$PY" "$GPT2_TORCH" "${common[@]}" --mode "$mode"
    done
  done
  for r in $(seq 1 "$ROUNDS"); do
    for mode in truncate capture; do
      echo "round $r, store overhead, sae4j $mode:"
      java -Dai.djl.offline=true -jar "$jar" bench-forward "${common[@]}" --mode "$mode"
    done
  done
}

part_sae() {
  python3 bench/sae_table.py --python "$PY" --rounds "$ROUNDS" --jar "$jar" \
    --crossover 32,64,128,256
}

part_large() {
  if [ ! -x bench/large-models.sh ]; then
    echo "skipped: bench/large-models.sh is not in this tree"
    return
  fi
  # shellcheck disable=SC2086  # MODELS is a space-separated list
  env PY="$PY" bench/large-models.sh ${MODELS:-}
}

part_kernels() {
  bench/kernels.sh "$ROUNDS"
}

part_organism() {
  local out t0 t1
  out=$(mktemp -d)
  t0=$(date +%s.%N)
  ./sae4j organism train --task mix --quiet --out "$out/mix"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "organism train --task mix: %.1f s wall\n", b - a}'
  ./sae4j organism eval --model "$out/mix" --n 200
  rm -rf "$out"
}

part_seeds() {
  # shellcheck disable=SC2086  # SEEDS is a space-separated list
  bench/organism-seeds.sh $SEEDS
}

part_demo() {
  local tmp t0 t1
  tmp=$(mktemp -d)
  t0=$(date +%s.%N)
  env SAE4J_CACHE="$tmp/cache" ./sae4j demo --out "$tmp/runs" --quiet
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" \
    'BEGIN {printf "demo, empty organism cache: %.1f s wall (organism training included)\n", b - a}'
  rm -rf "$tmp"
}

for p in "${parts[@]}"; do
  if ! declare -F "part_$p" >/dev/null; then
    echo "unknown part: $p (forward sae large kernels organism seeds demo)" >&2
    exit 2
  fi
  echo
  exec 9>>"$LOCK"
  flock 9
  echo "## $p: $(date -u +%FT%TZ), load average $(load)"
  "part_$p"
  echo "## $p done: $(date -u +%FT%TZ), load average $(load)"
  flock -u 9
  exec 9>&-
done
