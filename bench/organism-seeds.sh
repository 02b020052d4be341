#!/usr/bin/env bash
# The organism ground-truth acceptance for several organism seeds: runs OrganismCarryCheckTest's
# chain (train an addition organism, capture blocks.0, train a TopK SAE, carry check with matched
# controls) once per seed and prints every column's numbers with the acceptance verdict
# (docs/causal.md, "Across organisms"). About 3 minutes per seed on 2 cores.
#
# Usage: bench/organism-seeds.sh [SEED...]     default seeds: 1 2 3
set -uo pipefail
cd "$(dirname "$0")/.."
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1 2 3)
echo "# $(date -u +%FT%TZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
for seed in "${seeds[@]}"; do
  mvn -B -o -q test -pl sae4j-core -Dtest=OrganismCarryCheckTest -Dgroups=slow \
    -Dsurefire.failIfNoSpecifiedTests=false -Dsae4j.organismSeed="$seed" 2>&1 \
    | grep -E "^(organism:|SAE on|seed [0-9]+ column)" | sed "s/^organism:/seed $seed organism:/"
done
