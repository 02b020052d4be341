#!/usr/bin/env bash
# SAE training throughput, sae4j against the PyTorch reference loops of ../shared/bench/sae_torch.py,
# interleaved on the same machine (BENCHMARKS.md, "SAE training").
#
# Usage: bench/sae-ratio.sh [ROUNDS] [SHAPE...]      SHAPE = D_INxBATCH, default 768x32 1024x32
#   JARS       sae4j jars to compare, space-separated (default: sae4j-cli/target/sae4j.jar);
#              e.g. the previous commit's build and this one, for a before/after column
#   PYTHON     interpreter for sae_torch.py (default: python3)
#   TORCH_LIBS LD_LIBRARY_PATH for the torch runs (e.g. an OpenBLAS build), default unset
# Prints "tokens/s median" (and torch's optimiser share, sae4j's GFLOPS) per run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-1}
shift || true
shapes=("$@")
[ ${#shapes[@]} -gt 0 ] || shapes=(768x32 1024x32)
read -r -a jars <<< "${JARS:-$here/sae4j-cli/target/sae4j.jar}"
python=${PYTHON:-python3}
script=$here/../shared/bench/sae_torch.py
[ -f "$script" ] || { echo "missing $script (the shared folder next to the repository)" >&2; exit 1; }

torch() { # variant d_in batch
  LD_LIBRARY_PATH=${TORCH_LIBS:-${LD_LIBRARY_PATH:-}} timeout 300 "$python" "$script" \
    --variant "$1" --d-in "$2" --batch "$3" 2>&1 \
    | grep -o "tokens/s median *[0-9]*\|optim share [0-9]*%" | tr '\n' ' '; echo
}
sae4j() { # jar variant d_in batch
  java -Dai.djl.offline=true -jar "$1" bench-sae --variant "$2" --d-in "$3" --batch "$4" 2>/dev/null \
    | grep -o "tokens/s median *[0-9]*\|GFLOPS *[0-9.]*" | tr '\n' ' '; echo
}
for round in $(seq 1 "$rounds"); do
  for shape in "${shapes[@]}"; do
    d=${shape%x*}; b=${shape#*x}
    echo "== round $round d_in $d batch $b $(date +%T) $(uptime | sed 's/.*load/load/')"
    printf '%-28s' "torch relu"; torch relu "$d" "$b"
    for jar in "${jars[@]}"; do printf '%-28s' "sae4j relu $(basename "$jar")"; sae4j "$jar" relu "$d" "$b"; done
    printf '%-28s' "torch topk-dense"; torch topk-dense "$d" "$b"
    for jar in "${jars[@]}"; do printf '%-28s' "sae4j topk $(basename "$jar")"; sae4j "$jar" topk "$d" "$b"; done
  done
done
