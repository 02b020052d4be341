#!/usr/bin/env bash
# Cost of pinning the CPU kernels to the AVX2 path (README, "CPU kernels"): each workload runs
# alternately with the pins (the default) and with SAE4J_KERNELS=native, ROUNDS times, in one
# sitting, and the medians are printed with their ratio.
#
# Usage: [WORKLOADS="forward relu topk organism"] bench/kernels.sh [ROUNDS]
#        (default 3 rounds; about 2 minutes per round on 2 quiet cores)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
jar=$here/sae4j-cli/target/sae4j.jar
[ -f "$jar" ] || (cd "$here" && mvn -B -q -DskipTests package)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # mode workload -> one number
  local env=()
  [ "$1" = native ] && env=(SAE4J_KERNELS=native)
  case $2 in
    forward) env "${env[@]}" java -Dai.djl.offline=true -jar "$jar" bench-forward --mode truncate \
        --windows 3 2>/dev/null | grep -o 'tokens/s median *[0-9.]*' | grep -o '[0-9.]*$' ;;
    relu|topk) env "${env[@]}" java -Dai.djl.offline=true -jar "$jar" bench-sae --variant "$2" \
        --windows 3 2>/dev/null | grep -o 'tokens/s median *[0-9]*' | grep -o '[0-9]*$' ;;
    organism)
      local t0 t1
      t0=$(date +%s.%N)
      env "${env[@]}" java -Dai.djl.offline=true -jar "$jar" organism train --task addition \
        --steps 100 --threads 1 --eval-n 0 --eval-every 0 --quiet --out "$tmp/org-$RANDOM" >/dev/null 2>&1
      t1=$(date +%s.%N)
      awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", 100 / (b - a)}' ;;
  esac
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores,"\
  "flags: $(grep -m1 -o -w 'avx2\|avx512f\|avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
printf '%-10s %14s %14s %8s\n' workload pinned native "pin/nat"
for w in ${WORKLOADS:-forward relu topk organism}; do
  p=(); n=()
  for r in $(seq 1 "$rounds"); do
    p+=("$(run pinned $w)"); n+=("$(run native $w)")
  done
  mp=$(printf '%s\n' "${p[@]}" | median); mn=$(printf '%s\n' "${n[@]}" | median)
  printf '%-10s %14s %14s %8.3f\n' "$w" "$mp" "$mn" "$(awk -v a="$mp" -v b="$mn" 'BEGIN {print a / b}')"
done
echo "# units: forward and SAE tokens/s (GPT-2 small shape, truncate mode; 768x8 SAE, batch 4096);"\
  "organism training steps/s (addition recipe, 100 steps on one thread, including JVM start)"
