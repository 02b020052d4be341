"""Reference for `sae4j capture` through HuggingFace transformers: the same checkpoint, the same
packed context windows, run only as far as the hooked block, activations copied out as float32.

Prints one JSON line: load seconds, tokens, capture seconds, tokens/s, peak RSS, load average.

Compute modes (all float32 compute):
  fp32            from_pretrained(dtype=float32): every weight widened at load (2x the memory
                  of a bfloat16 checkpoint)
  fp32-per-block  from_pretrained(dtype=bfloat16); each decoder layer's weights are widened to
                  float32 just before it runs and dropped after, as `sae4j --weights mapped` does
  bf16            bfloat16 weights and bfloat16 compute (not what sae4j computes; for reference)

Models with attention-logit softcapping (Gemma 2) run with eager attention: transformers' default,
sdpa, silently drops the softcap, so it would compute (faster) a different function.

Usage: python capture_torch.py --model DIR --dataset text.txt --layer 12 --context 256
           --batch 8 --tokens 4096 --mode fp32-per-block [--out FILE]
"""

import argparse
import json
import os
import resource
import sys
import time

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM


def windows(text_file, tokenizer, bos, context, limit):
    """As `sae4j capture --pack --bos prepend`: documents (lines) each preceded by BOS,
    concatenated, cut into windows of BOS + context - 1 tokens."""
    stream = []
    out = []
    with open(text_file, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stream.append(bos)
            stream.extend(tokenizer.encode(line, add_special_tokens=False).ids)
            while len(stream) >= context - 1:
                out.append([bos] + stream[:context - 1])
                stream = stream[context - 1:]
                if len(out) * context >= limit:
                    return out
    return out


def decoder_layers(model):
    base = model.base_model
    return base.h if hasattr(base, "h") else base.layers


def widen_per_block(layers):
    """Each layer's parameters are float32 copies while it runs; the bf16 ones are restored."""
    def before(module, args, kwargs):
        module._stash = [(p, p.data) for p in module.parameters()]
        for p, data in module._stash:
            p.data = data.float()
        args = tuple(a.float() if torch.is_tensor(a) and a.is_floating_point() else a
                     for a in args)
        return args, kwargs

    def after(module, args, output):
        for p, data in module._stash:
            p.data = data
        module._stash = None
        return output

    for layer in layers:
        layer.register_forward_pre_hook(before, with_kwargs=True)
        layer.register_forward_hook(after)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--layer", type=int, required=True)
    ap.add_argument("--context", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=4096)
    ap.add_argument("--mode", choices=["fp32", "fp32-per-block", "bf16"], required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", default=os.devnull, help="where the activations are written")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)

    config = json.load(open(os.path.join(a.model, "config.json")))
    start = time.perf_counter()
    dtype = torch.float32 if a.mode == "fp32" else torch.bfloat16
    # transformers' default attention (sdpa) drops Gemma 2's attention-logit softcapping
    # (sdpa_attention_forward ignores `softcap`); eager computes what the config says.
    attn = "eager" if config.get("attn_logit_softcapping") else None
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=dtype, attn_implementation=attn)
    model.eval()
    layers = decoder_layers(model)
    del layers[a.layer + 1:]  # stop after the hooked block, as sae4j capture does
    if a.mode == "fp32-per-block":
        widen_per_block(layers)
        base = model.base_model
        embed = model.get_input_embeddings()
        for name, child in base.named_children():
            if child is layers:
                continue
            if child is embed and hasattr(embed, "scalar_embed_scale"):
                # Gemma scales the rows by sqrt(d) inside the embedding, in the weights' dtype:
                # widen the rows first, then scale in float32 as the fp32 mode does.
                scale = torch.tensor(embed.scalar_embed_scale, dtype=torch.float32)
                embed.forward = lambda ids, e=embed, s=scale: (
                    torch.nn.functional.embedding(ids, e.weight).float() * s)
            elif child is embed or name == "wpe":  # embeddings stay bf16, output widened
                child.register_forward_hook(lambda m, i, o: o.float())
            else:
                child.float()  # the final norm and RoPE tables: small
    load_s = time.perf_counter() - start

    tokenizer = Tokenizer.from_file(os.path.join(a.model, "tokenizer.json"))
    ids = windows(a.dataset, tokenizer, config["bos_token_id"], a.context, a.tokens)
    captured = {}
    layers[a.layer].register_forward_hook(
        lambda m, i, o: captured.__setitem__("x", o[0] if isinstance(o, tuple) else o))
    tokens = 0
    start = time.perf_counter()
    with torch.inference_mode(), open(a.out, "wb") as out:
        for b in range(0, len(ids), a.batch):
            batch = torch.tensor(ids[b:b + a.batch])
            model.base_model(input_ids=batch, use_cache=False)
            out.write(captured["x"].float().numpy().tobytes())
            tokens += batch.numel()
    capture_s = time.perf_counter() - start
    print(json.dumps({
        "mode": a.mode, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "load_s": round(load_s, 2), "tokens": tokens, "capture_s": round(capture_s, 2),
        "tokens_per_s": round(tokens / capture_s, 2),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, 2),
        "loadavg": os.getloadavg()[0]}))


if __name__ == "__main__":
    sys.exit(main())
