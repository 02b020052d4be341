#!/usr/bin/env bash
# Real-shape capture benchmark (BENCHMARKS.md, "Billion-parameter checkpoints"): for each model,
# write a random-weight bfloat16 checkpoint with its published config (sae4j make-checkpoint),
# capture the seed study's mid-depth residual hook at context 256 with sae4j, then with
# transformers (bench/capture_torch.py) on the same checkpoint and windows, check that both
# captured the same activations, delete the checkpoint and print one table row.
#
# Usage: bench/large-models.sh [MODEL ...]      (default: all eight, smallest first)
# Env:   PY (python with torch 2.13 + transformers 5.18, default /tmp/v17b/bin/python)
#        WORK (scratch dir, default /tmp/sae4j-bench), TOKENS (default 4096; 2048 above 2B
#        parameters), BATCH (8), QUIET_LOAD (1.5), WAIT_S (max wait for a quiet machine, 1800)
#        PY_MODES (default "fp32 fp32-per-block"); SAE4J_WEIGHTS (default auto)
# Results: one line per model in $WORK/results.tsv, the markdown table on stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY=${PY:-/tmp/v17b/bin/python}
WORK=${WORK:-/tmp/sae4j-bench}
BATCH=${BATCH:-8}
QUIET_LOAD=${QUIET_LOAD:-1.5}
WAIT_S=${WAIT_S:-1800}
PY_MODES=${PY_MODES:-"fp32 fp32-per-block"}
SAE4J_WEIGHTS=${SAE4J_WEIGHTS:-auto}
# The seed study's layers (examples/phase4.yaml) and mid-depth for the others.
declare -A LAYER=([gpt2-medium]=12 [pythia-1.4b]=12 [gemma-2b]=9 [phi-2]=16 [gemma-2-2b]=13
  [qwen2.5-1.5b]=14 [llama-3.2-1b]=8 [llama-3.1-8b]=16)
declare -A BIG=([gemma-2b]=1 [phi-2]=1 [gemma-2-2b]=1 [llama-3.1-8b]=1)
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(gpt2-medium llama-3.2-1b pythia-1.4b qwen2.5-1.5b gemma-2b
  gemma-2-2b phi-2 llama-3.1-8b)

# Same kernels for both sides: the launcher pins AVX2 (README, "CPU kernels").
export ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2
mkdir -p "$WORK"
jar="$root/sae4j-cli/target/sae4j.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -o -DskipTests package)
sae4j() { java ${SAE4J_JAVA_OPTS:--Xmx4g} -Dai.djl.offline=true -jar "$jar" "$@"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
avail_gb() { awk '/MemAvailable/ {printf "%.1f", $2 / 1048576}' /proc/meminfo; }

# Waits (up to WAIT_S) for load < QUIET_LOAD and, for big models, >= 20 GB available.
wait_quiet() {
  local need_gb=$1 waited=0
  while (( waited < WAIT_S )); do
    if awk -v l="$(load1)" -v q="$QUIET_LOAD" -v a="$(avail_gb)" -v n="$need_gb" \
        'BEGIN { exit !(l < q && a >= n) }'; then
      return 0
    fi
    sleep 30; waited=$((waited + 30))
  done
  echo "bench: machine not quiet after ${WAIT_S}s (load $(load1), $(avail_gb) GB available);" \
    "measuring anyway" >&2
}

text="$WORK/text.txt"
if [ ! -f "$text" ]; then  # 4,000 lines of 60 words: plenty of byte tokens
  "$PY" - "$text" <<'PYEOF'
import random, sys
random.seed(0)
words = ("the of and to in is that for it as was with be by on not he this are or his from at "
         "which but have an they you were her she there one all we their been has when who will "
         "more no if out so said what up its about into than them can only other new some could "
         "time these two may then do first any my now such like our over man me even most made "
         "after also did many before must through back years where much your way well down "
         "should because each just those people how too little state good very make world").split()
with open(sys.argv[1], "w") as f:
    for _ in range(4000):
        f.write(" ".join(random.choice(words) for _ in range(60)) + "\n")
PYEOF
fi

printf 'model\tparams\tckpt_gb\tlayer\ttokens\tsae4j_weights\tsae4j_load_s\tsae4j_tok_s\tsae4j_rss_gb\tpy_mode\tpy_load_s\tpy_tok_s\tpy_rss_gb\tratio\tmax_abs_diff\tload_avg\n' \
  > "$WORK/results.tsv.new"
for m in "${models[@]}"; do
  layer=${LAYER[$m]}
  tokens=${TOKENS:-$([ -n "${BIG[$m]:-}" ] && echo 2048 || echo 4096)}
  need=$([ "$m" = llama-3.1-8b ] && echo 20 || echo 0)
  wait_quiet "$need"
  dir="$WORK/$m"
  rm -rf "$dir" "$WORK/acts" "$WORK/py.bin"
  made=$(sae4j make-checkpoint --like "$m" --out "$dir" 2>/dev/null)
  params=$(echo "$made" | sed -E 's/.* ([0-9,]+) parameters.*/\1/' | tr -d ,)
  gb=$(du -cb "$dir"/*.safetensors | awk 'END {printf "%.2f", $1 / 1e9}')
  la_start=$(load1)
  log=$(sae4j capture --model "$dir" --dataset "$text" --hooks "blocks.$layer.hook_resid_post" \
    --context 256 --batch "$BATCH" --pack --keep-special --tokens "$tokens" --quiet \
    --weights "$SAE4J_WEIGHTS" --out "$WORK/acts" 2>&1 >/dev/null | grep '^sae4j: [mc]')
  weights=$(echo "$log" | sed -nE 's/.*; weights (.*); compute.*/\1/p')
  s_load=$(echo "$log" | sed -nE 's/.*loaded in ([0-9.]+) s.*/\1/p')
  s_tok=$(echo "$log" | sed -nE 's/.*\(([0-9.]+) rows\/s\).*/\1/p')
  s_rss=$(echo "$log" | sed -nE 's/.*peak RSS ([0-9.]+) GB.*/\1/p')
  for mode in $PY_MODES; do
    # fp32 widens every weight at load: skip it where that cannot fit in memory.
    if [ "$mode" = fp32 ] && awk -v g="$gb" -v a="$(avail_gb)" 'BEGIN { exit !(2 * g + 3 > a) }'; then
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t(does not fit: %s GB float32)\t-\t-\t-\t%s\n' \
        "$m" "$params" "$gb" "$layer" "$tokens" "$weights" "$s_load" "$s_tok" "$s_rss" "$mode" \
        "$(awk -v g="$gb" 'BEGIN {print 2 * g}')" "$la_start" >> "$WORK/results.tsv.new"
      continue
    fi
    py=$("$PY" "$root/bench/capture_torch.py" --model "$dir" --dataset "$text" --layer "$layer" \
      --context 256 --batch "$BATCH" --tokens "$tokens" --mode "$mode" --out "$WORK/py.bin" \
      2>/dev/null | tail -1)
    diff=$("$PY" - "$WORK/acts/blocks.$layer.hook_resid_post" "$WORK/py.bin" <<'PYEOF'
import glob, sys
import numpy as np
from safetensors.numpy import load_file
a = np.concatenate([load_file(f)["activations"]
                    for f in sorted(glob.glob(sys.argv[1] + "/shard-*.safetensors"))])
p = np.fromfile(sys.argv[2], dtype=np.float32).reshape(-1, a.shape[1])
n = min(len(a), len(p))
print(f"{np.abs(a[:n] - p[:n]).max():.1e}")
PYEOF
)
    la_end=$(load1)
    echo "$py" | "$PY" -c '
import json, sys
r = json.loads(sys.stdin.read())
m, params, gb, layer, tokens, weights, s_load, s_tok, s_rss, diff, la = sys.argv[1:]
print("\t".join([m, params, gb, layer, tokens, weights, s_load, s_tok, s_rss, r["mode"],
                 str(r["load_s"]), str(r["tokens_per_s"]), str(r["peak_rss_gb"]),
                 f"{float(s_tok) / r['"'"'tokens_per_s'"'"']:.2f}", diff, la]))' \
      "$m" "$params" "$gb" "$layer" "$tokens" "$weights" "$s_load" "$s_tok" "$s_rss" "$diff" \
      "$la_start-$la_end" >> "$WORK/results.tsv.new"
  done
  tail -n "$(echo $PY_MODES | wc -w)" "$WORK/results.tsv.new" >&2
  rm -rf "$dir" "$WORK/acts" "$WORK/py.bin"
done
mv "$WORK/results.tsv.new" "$WORK/results.tsv"

# The markdown table.
"$PY" - "$WORK/results.tsv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("| model | params | checkpoint (bf16) | layer | sae4j weights | sae4j load | sae4j tok/s |"
      " sae4j peak RSS | transformers mode | load | tok/s | peak RSS | ratio | max abs diff |"
      " load avg |")
print("|" + "---|" * 15)
for r in rows:
    print(f"| {r['model']} | {int(r['params']) / 1e9:.2f} B | {r['ckpt_gb']} GB | {r['layer']} |"
          f" {r['sae4j_weights']} | {r['sae4j_load_s']} s | {r['sae4j_tok_s']} |"
          f" {r['sae4j_rss_gb']} GB | {r['py_mode']} | {r['py_load_s']} s | {r['py_tok_s']} |"
          f" {r['py_rss_gb']} GB | {r['ratio']}x | {r['max_abs_diff']} | {r['load_avg']} |")
PYEOF
