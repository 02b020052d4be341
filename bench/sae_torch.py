"""SAE training throughput with plain PyTorch on CPU (the Python anchor).

Variants (all float32, Adam lr 1e-4 betas (0.9, 0.999)):
  relu        SAELens "standard" SAE: x - b_dec, ReLU encoder, dense decoder,
              loss = sum-sq MSE + l1 * sum(|f| * ||W_dec row||)
  topk-dense  sparsify/OpenAI TopK (k=32): encoder matmul, ReLU, topk, scatter the
              k values into a dense code, decode by dense matmul; plain autograd
  topk-sparse same, but decode = embedding_bag of the k decoder rows (sparsify's
              CPU path); encoder backward still dense through autograd
  topk-sparse-bwd  also a hand-written sparse encoder backward (index_add of the
              k selected rows, embedding_bag for dL/dx) - what sparsify does today
TopK variants follow sparsify's loop: FVU loss, gradient parallel to decoder rows
removed before the step, decoder rows renormalised after it (no AuxK term: at the
start of training no latent is dead yet).

Data: a pool of synthetic activations ~ N(0,1) per dim with rank-64 structure,
generated once and streamed batch by batch (generation is not timed).

Usage: /usr/bin/python3 sae_torch.py --variant relu --d-in 768 --batch 4096
       /usr/bin/python3 sae_torch.py --verify   (gradient equivalence check)

sae4j's copy of ../shared/bench/sae_torch.py (bench/README.md). Changes from the shared script:
  --fused-adam  torch.optim.Adam(fused=True) (torch >= 2.0), the stronger anchor at small batches
  --l0 N        relu: b_enc set so that each latent fires on about N / d_sae of the first batch's
                tokens (a trained SAE's sparsity; sae4j bench-sae --l0 does the same)
  the result line also prints the L0 of the final loss batch (relu: active latents per token)
                and the process CPU milliseconds (all threads) per step of the time-split pass
benchcommon.py is the shared one, unchanged.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                                "bench"))
from benchcommon import add_common_args, emit, env_report, measure, probe, setup_threads, summarize  # noqa: E402

VARIANTS = ("relu", "topk-dense", "topk-sparse", "topk-sparse-bwd")


def make_pool(n_tokens, d_in, rank=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    basis, _ = torch.linalg.qr(torch.randn(d_in, rank, generator=g))  # (d, r) orthonormal
    basis = basis.t().contiguous() * (d_in / rank) ** 0.5           # rows with norm^2 d/r
    out = torch.empty(n_tokens, d_in)
    chunk = 8192
    for s in range(0, n_tokens, chunk):
        e = min(n_tokens, s + chunk)
        z = torch.randn(e - s, rank, generator=g)
        out[s:e] = (0.8 ** 0.5) * (z @ basis) + (0.2 ** 0.5) * torch.randn(e - s, d_in, generator=g)
    return out


class Stream:
    """Cycles through the pool in batch-sized slices (contiguous, like a loader)."""

    def __init__(self, pool, batch):
        self.pool, self.batch, self.pos = pool, batch, 0

    def next(self):
        if self.pos + self.batch > self.pool.shape[0]:
            self.pos = 0
        x = self.pool[self.pos:self.pos + self.batch]
        self.pos += self.batch
        return x


class SparseTopKEncoder(torch.autograd.Function):
    """relu(x @ W^T + b) -> topk; backward touches only the k selected rows of W."""

    @staticmethod
    def forward(ctx, x, weight, bias, k):
        pre = torch.relu(torch.addmm(bias, x, weight.t()))
        vals, idx = pre.topk(k, dim=-1, sorted=False)
        ctx.save_for_backward(x, weight, vals, idx)
        return vals, idx

    @staticmethod
    def backward(ctx, g_vals, _g_idx):
        x, weight, vals, idx = ctx.saved_tensors
        g = g_vals * (vals > 0)                       # ReLU derivative at the selected entries
        n, k = idx.shape
        d = x.shape[1]
        # dL/dx[t] = sum_j g[t,j] * W[idx[t,j]]
        gx = F.embedding_bag(idx, weight, per_sample_weights=g, mode="sum")
        # dL/dW[idx[t,j]] += g[t,j] * x[t]   (chunked so the outer products stay in cache)
        gw = torch.zeros_like(weight)
        chunk = 256
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            contrib = (g[s:e].unsqueeze(-1) * x[s:e].unsqueeze(1)).reshape(-1, d)
            gw.index_add_(0, idx[s:e].reshape(-1), contrib)
        gb = torch.zeros(weight.shape[0]).index_add_(0, idx.reshape(-1), g.reshape(-1))
        return gx, gw, gb, None


class SAE:
    def __init__(self, variant, d_in, d_sae, k, l1_coeff, lr, seed=1, fused_adam=False):
        g = torch.Generator().manual_seed(seed)
        self.variant, self.k, self.l1_coeff = variant, k, l1_coeff
        w_dec = torch.randn(d_sae, d_in, generator=g)
        w_dec /= w_dec.norm(dim=1, keepdim=True)
        if variant == "relu":
            w_dec *= 0.1                                   # SAELens-like small init
            self.W_enc = w_dec.t().contiguous()            # (d_in, d_sae), SAELens layout
        else:
            self.W_enc = w_dec.clone()                     # (d_sae, d_in), nn.Linear layout
        self.W_dec = w_dec                                 # (d_sae, d_in)
        self.b_enc = torch.zeros(d_sae)
        self.b_dec = torch.zeros(d_in)
        self.params = [self.W_enc, self.b_enc, self.W_dec, self.b_dec]
        for p in self.params:
            p.requires_grad_(True)
        if fused_adam:
            self.opt = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.999), fused=True)
        else:
            self.opt = torch.optim.Adam(self.params, lr=lr, betas=(0.9, 0.999))

    def target_l0(self, x, l0):
        """relu: b_enc = -(each latent's 1 - l0/d_sae quantile of its pre-activation on x)."""
        with torch.no_grad():
            pre = (x - self.b_dec) @ self.W_enc + self.b_enc
            row = min(x.shape[0] - 1, max(0, round((1 - l0 / pre.shape[1]) * x.shape[0])))
            self.b_enc -= pre.sort(dim=0).values[row]

    def l0(self, x):
        """Mean active latents per token on x."""
        with torch.no_grad():
            if self.variant == "relu":
                f = torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
                return (f > 0).sum(-1).float().mean().item()
            return float(self.k)

    # ---- losses -------------------------------------------------------------
    def loss(self, x):
        v = self.variant
        sae_in = x - self.b_dec
        if v == "relu":
            f = torch.relu(sae_in @ self.W_enc + self.b_enc)
            x_hat = f @ self.W_dec + self.b_dec
            mse = (x_hat - x).pow(2).sum(-1).mean()
            l1 = (f.abs() * self.W_dec.norm(dim=1)).sum(-1).mean()
            return mse + self.l1_coeff * l1
        if v == "topk-sparse-bwd":
            vals, idx = SparseTopKEncoder.apply(sae_in, self.W_enc, self.b_enc, self.k)
        else:
            pre = torch.relu(F.linear(sae_in, self.W_enc, self.b_enc))
            vals, idx = pre.topk(self.k, dim=-1, sorted=False)
        if v == "topk-dense":
            code = torch.zeros(x.shape[0], self.W_dec.shape[0]).scatter(-1, idx, vals)
            x_hat = code @ self.W_dec + self.b_dec
        else:
            x_hat = F.embedding_bag(idx, self.W_dec, per_sample_weights=vals, mode="sum") + self.b_dec
        total_var = (x - x.mean(0)).pow(2).sum()
        return (x - x_hat).pow(2).sum() / total_var          # FVU

    # ---- one optimiser step -------------------------------------------------
    def step(self, x, timers=None):
        t0 = time.perf_counter()
        self.opt.zero_grad(set_to_none=True)
        loss = self.loss(x)
        loss.backward()
        t1 = time.perf_counter()
        if self.variant != "relu":
            with torch.no_grad():                             # sparsify's decoder constraint
                par = (self.W_dec.grad * self.W_dec).sum(-1, keepdim=True)
                self.W_dec.grad.sub_(par * self.W_dec)
        self.opt.step()
        if self.variant != "relu":
            with torch.no_grad():
                self.W_dec.div_(self.W_dec.norm(dim=1, keepdim=True) + torch.finfo(torch.float32).eps)
        if timers is not None:
            t2 = time.perf_counter()
            timers["fwd_bwd"] += t1 - t0
            timers["optim"] += t2 - t1
        return loss


def flops_per_token(variant, d, s, k):
    """Multiply-add FLOPs per token actually executed by the matmul-like ops."""
    if variant in ("relu", "topk-dense"):
        return 12 * d * s            # enc fwd, dec fwd, 2 grads each for enc & dec
    if variant == "topk-sparse":
        return 6 * d * s + 6 * k * d  # dense encoder fwd+bwd, sparse decoder fwd+bwd
    return 2 * d * s + 10 * k * d    # only the encoder forward stays dense


def verify():
    """Gradients of the three TopK variants must agree on identical weights."""
    torch.manual_seed(0)
    d, s, k, n = 64, 512, 8, 128
    x = make_pool(n, d)
    grads = {}
    for v in ("topk-dense", "topk-sparse", "topk-sparse-bwd"):
        m = SAE(v, d, s, k, 0.0, 1e-4)
        with torch.no_grad():
            m.b_dec.copy_(torch.randn(d, generator=torch.Generator().manual_seed(3)) * 0.1)
            m.b_enc.copy_(torch.randn(s, generator=torch.Generator().manual_seed(4)) * 0.1)
        loss = m.loss(x)
        loss.backward()
        grads[v] = [p.grad.clone() for p in m.params]
    ok = True
    for v in ("topk-sparse", "topk-sparse-bwd"):
        for name, a, b in zip(("W_enc", "b_enc", "W_dec", "b_dec"), grads["topk-dense"], grads[v]):
            err = (a - b).abs().max().item() / (a.abs().max().item() + 1e-12)
            print(f"verify {v:16s} {name:6s} rel max err {err:.2e}")
            ok &= err < 1e-4
    # and training reduces the loss
    for v in VARIANTS:
        m = SAE(v, d, s, k, 1e-3, 1e-3)
        pool = make_pool(4096, d, seed=5)
        st = Stream(pool, 256)
        first = m.loss(st.next()).item()
        for _ in range(200):
            m.step(st.next())
        last = m.loss(st.next()).item()
        print(f"verify train {v:16s} loss {first:.4f} -> {last:.4f}")
        ok &= last < first
    print("VERIFY", "OK" if ok else "FAILED")
    return ok


def main():
    p = argparse.ArgumentParser()
    add_common_args(p)
    p.add_argument("--variant", choices=VARIANTS, default="relu")
    p.add_argument("--d-in", type=int, default=768)
    p.add_argument("--expansion", type=int, default=8)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--k", type=int, default=32)
    p.add_argument("--l1", type=float, default=5.0)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--pool-tokens", type=int, default=0, help="default: max(65536, 8*batch)")
    p.add_argument("--verify", action="store_true")
    p.add_argument("--fused-adam", action="store_true", help="torch.optim.Adam(fused=True)")
    p.add_argument("--l0", type=float, default=0, help="relu: set b_enc for this L0 on the first "
                   "batch (0: b_enc = 0)")
    p.set_defaults(window_s=1.0)
    args = p.parse_args()
    setup_threads(args)
    if args.verify:
        raise SystemExit(0 if verify() else 1)

    d, s = args.d_in, args.d_in * args.expansion
    pool = make_pool(args.pool_tokens or max(65536, 8 * args.batch), d)
    stream = Stream(pool, args.batch)
    sae = SAE(args.variant, d, s, args.k, args.l1, args.lr, fused_adam=args.fused_adam)
    if args.l0 > 0:
        sae.target_l0(pool[:args.batch], args.l0)

    probe_before = probe()
    rates = measure(lambda: sae.step(stream.next()), args.batch, args)
    # separate short pass for the time split (fwd+bwd vs optimiser/constraint)
    timers = {"fwd_bwd": 0.0, "optim": 0.0}
    n_split = max(3, min(200, int(2 * min(rates) / args.batch) + 1))
    cpu0 = time.process_time()
    for _ in range(n_split):
        sae.step(stream.next(), timers)
    cpu_ms = (time.process_time() - cpu0) * 1e3 / n_split  # process CPU (all threads) per step
    tot = timers["fwd_bwd"] + timers["optim"]
    with torch.no_grad():
        last = stream.next()
        final_loss = sae.loss(last).item()
    l0 = sae.l0(last)

    sm = summarize(rates)
    fpt = flops_per_token(args.variant, d, s, args.k)
    print(f"sae {args.variant:15s} d_in {d:5d} d_sae {s:6d} batch {args.batch:5d} "
          f"threads {torch.get_num_threads()}  tokens/s median {sm['median']:9.0f} "
          f"(min {sm['min']:.0f} max {sm['max']:.0f})  GFLOPS {fpt * sm['median'] / 1e9:6.1f}  "
          f"optim share {timers['optim'] / tot:.0%}  loss {final_loss:.4f}  L0 {l0:.1f}"
          f"  cpu ms/step {cpu_ms:.1f}{'  fused Adam' if args.fused_adam else ''}", flush=True)
    emit(args, {"bench": "sae", "impl": "torch-py", "variant": args.variant, "d_in": d,
                "d_sae": s, "batch": args.batch, "k": args.k, "tokens_per_s": sm,
                "flops_per_token": fpt, "dense_flops_per_token": 12 * d * s,
                "gflops_median": fpt * sm["median"] / 1e9,
                "optim_share": timers["optim"] / tot, "final_loss": final_loss, "l0": l0,
                "fused_adam": args.fused_adam, "cpu_ms_per_step": cpu_ms,
                "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
                "env": env_report()["env"], "tag": args.tag,
                "probe_gflops": [probe_before, probe()]})


if __name__ == "__main__":
    main()
