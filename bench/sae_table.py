"""Every SAE-training row of issue 20's table in one sitting: sae4j against its PyTorch references.

Each row runs sae4j's `bench-sae` and then its reference loops (bench/sae_torch.py, this
repository's copy of ../shared/bench/sae_torch.py), interleaved row by row, ROUNDS times, and
prints a Markdown table of medians over the rounds:
  tokens/s (wall, median of the run's windows) and tokens per CPU-second (process CPU time of
  all threads per step: steadier than wall time when other jobs share the cores),
  the ratio sae4j / strongest reference in the row's target group, and the target.

Usage (any python3; the torch runs use --python):
  flock /tmp/bench.lock python3 bench/sae_table.py --python /tmp/v20/bin/python [--rounds 3]
  [--rows relu-4096,topk-32] [--jar sae4j-cli/target/sae4j.jar] [--crossover 32,64,128,256]
--crossover also times sae4j's ReLU at 768x8, batch 4096 at each target L0 with the sparse path
forced (-Dsae4j.sparse.max_density=1) and the dense one forced (=0), for the default threshold
(--rows none: only that).
sae4j runs with the launcher's default kernels (pinned to AVX2, README "CPU kernels") unless
SAE4J_KERNELS=native is set in the environment; the torch runs use their native code path.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The sparse ReLU rows use lr 1e-6: from the SAELens-like initialisation, Adam at lr 1e-4 moves
# b_enc and W_enc so fast that L0 leaves the target within a few steps (64 -> ~230); at lr 1e-6
# it stays near the target. The learning rate changes no amount of work in either loop.
SPARSE = ["--l0", "64", "--lr", "1e-6"]

# id, label, sae4j args, references [(label, torch args, in target group)], target ratio
ROWS = [
    ("relu-4096", "ReLU 768x8, batch 4096 (fresh init, dense code)",
     ["--variant", "relu", "--d-in", "768", "--batch", "4096"],
     [("relu", ["--variant", "relu", "--d-in", "768", "--batch", "4096"], True)], 1.0),
    ("relu-l0-4096", "ReLU 768x8, batch 4096, L0 64 of 6,144 (sparse)",
     ["--variant", "relu", "--d-in", "768", "--batch", "4096"] + SPARSE,
     [("relu", ["--variant", "relu", "--d-in", "768", "--batch", "4096"] + SPARSE, True)], 2.0),
    ("relu-1024", "ReLU 1024x8, batch 4096 (dense code)",
     ["--variant", "relu", "--d-in", "1024", "--batch", "4096"],
     [("relu", ["--variant", "relu", "--d-in", "1024", "--batch", "4096"], True)], 1.0),
    ("topk-4096", "TopK 768x8, batch 4096",
     ["--variant", "topk", "--d-in", "768", "--batch", "4096"],
     [("topk-dense", ["--variant", "topk-dense", "--d-in", "768", "--batch", "4096"], False),
      ("topk-sparse-bwd", ["--variant", "topk-sparse-bwd", "--d-in", "768", "--batch", "4096"],
       True)], 1.2),
    ("topk-1024", "TopK 1024x8, batch 4096",
     ["--variant", "topk", "--d-in", "1024", "--batch", "4096"],
     [("topk-dense", ["--variant", "topk-dense", "--d-in", "1024", "--batch", "4096"], False),
      ("topk-sparse-bwd", ["--variant", "topk-sparse-bwd", "--d-in", "1024", "--batch", "4096"],
       True)], 1.2),
    ("relu-32", "ReLU 768x8, batch 32 (dense code)",
     ["--variant", "relu", "--d-in", "768", "--batch", "32"],
     [("relu", ["--variant", "relu", "--d-in", "768", "--batch", "32"], False),
      ("relu fused Adam", ["--variant", "relu", "--d-in", "768", "--batch", "32",
                           "--fused-adam"], True)], 1.5),
    ("relu-l0-32", "ReLU 768x8, batch 32, L0 64 (sparse)",
     ["--variant", "relu", "--d-in", "768", "--batch", "32"] + SPARSE,
     [("relu fused Adam", ["--variant", "relu", "--d-in", "768", "--batch", "32",
                           "--fused-adam"] + SPARSE, True)], 1.5),
    ("topk-32", "TopK 768x8, batch 32",
     ["--variant", "topk", "--d-in", "768", "--batch", "32"],
     [("topk-dense", ["--variant", "topk-dense", "--d-in", "768", "--batch", "32"], False),
      ("topk-sparse-bwd", ["--variant", "topk-sparse-bwd", "--d-in", "768", "--batch", "32"],
       True),
      ("topk-sparse-bwd fused Adam", ["--variant", "topk-sparse-bwd", "--d-in", "768",
                                      "--batch", "32", "--fused-adam"], True)], 1.5),
]

RATE = re.compile(r"tokens/s median +([0-9.]+)")
CPU = re.compile(r"cpu ms/step +([0-9.]+)")
L0 = re.compile(r"L0 +([0-9.]+)")


def run(cmd, batch, env=None):
    """(tokens/s, tokens per CPU-second, L0) of one benchmark run, or None values on failure."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env).stdout
    except subprocess.TimeoutExpired:
        return None, None, None
    rate, cpu, l0 = RATE.search(out), CPU.search(out), L0.search(out)
    if not rate:
        sys.stderr.write(f"no result from {' '.join(cmd)}\n{out[-2000:]}\n")
        return None, None, None
    per_cpu = batch / (float(cpu.group(1)) / 1e3) if cpu else None
    return float(rate.group(1)), per_cpu, float(l0.group(1)) if l0 else None


def load():
    return open("/proc/loadavg").read().split()[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--python", default=sys.executable, help="interpreter with torch")
    p.add_argument("--jar", default=os.path.join(ROOT, "sae4j-cli", "target", "sae4j.jar"))
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--rows", default="", help="comma-separated row ids (default: all)")
    p.add_argument("--windows", default="5")
    p.add_argument("--crossover", default="", help="comma-separated target L0 values")
    args = p.parse_args()
    rows = [r for r in ROWS if not args.rows or r[0] in args.rows.split(",")]
    loads = []
    torch_script = os.path.join(HERE, "sae_torch.py")
    win = ["--windows", args.windows, "--window-s", "1.0"]
    res = {}  # (row id, impl label) -> list of (rate, per_cpu, l0)
    start = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for rnd in range(args.rounds):
        for rid, label, sargs, refs, _ in rows:
            batch = int(sargs[sargs.index("--batch") + 1])
            loads.append(load())
            r = run(["java", "-Xmx4g", "-Dai.djl.offline=true", "-jar", args.jar, "bench-sae"]
                    + sargs + win, batch)
            res.setdefault((rid, "sae4j"), []).append(r)
            print(f"round {rnd + 1} {rid:13s} sae4j {r} load {loads[-1]}", flush=True)
            for rlabel, targs, _ in refs:
                r = run([args.python, torch_script] + targs + win, batch)
                res.setdefault((rid, rlabel), []).append(r)
                print(f"round {rnd + 1} {rid:13s} torch {rlabel} {r}", flush=True)
    cross = {}
    for l0 in [x for x in args.crossover.split(",") if x]:
        for path, density in (("sparse", "1"), ("dense", "0")):
            loads.append(load())
            cross[(l0, path)] = run(["java", "-Xmx4g", "-Dai.djl.offline=true",
                                     f"-Dsae4j.sparse.max_density={density}", "-jar", args.jar,
                                     "bench-sae", "--variant", "relu", "--l0", l0, "--lr",
                                     "1e-6"] + win, 4096)
            print(f"crossover L0 {l0} {path} {cross[(l0, path)]} load {loads[-1]}", flush=True)
    end = time.strftime("%H:%M UTC", time.gmtime())

    def med(rid, impl, i):
        v = [x[i] for x in res[(rid, impl)] if x[i] is not None]
        return statistics.median(v) if v else None

    def fmt(v):
        return "–" if v is None else f"{v:,.0f}"

    print(f"\n{start} – {end}, {args.rounds} round(s), load average (1 min) at the rows' starts "
          f"{min(loads, key=float)}–{max(loads, key=float)}")
    if cross:
        print("\n| target L0 | measured L0 (sparse run) | sparse path tokens/s (per CPU-s) | "
              "dense path tokens/s (per CPU-s) | sparse / dense |")
        print("|---|---|---|---|---|")
        for l0 in [x for x in args.crossover.split(",") if x]:
            sp, de = cross[(l0, "sparse")], cross[(l0, "dense")]
            ratio = f"{sp[0] / de[0]:.2f}x" if sp[0] and de[0] else "–"
            ml0 = f"{sp[2]:.0f}" if sp[2] is not None else "–"
            print(f"| {l0} | {ml0} | {fmt(sp[0])} ({fmt(sp[1])}) | {fmt(de[0])} ({fmt(de[1])}) | "
                  f"{ratio} |")
    if not rows:
        return
    print("\n| workload | sae4j tokens/s (per CPU-s) [L0] | PyTorch 2.13 references tokens/s "
          "(per CPU-s) | ratio wall (per CPU-s) vs strongest in target group | target |")
    print("|---|---|---|---|---|")
    for rid, label, _, refs, target in rows:
        s_w, s_c, s_l0 = med(rid, "sae4j", 0), med(rid, "sae4j", 1), med(rid, "sae4j", 2)
        ref_txt, best_w, best_c = [], None, None
        for rlabel, _, group in refs:
            w, c, l0 = med(rid, rlabel, 0), med(rid, rlabel, 1), med(rid, rlabel, 2)
            ref_txt.append(f"{rlabel} {fmt(w)} ({fmt(c)})"
                           + (f" [L0 {l0:.0f}]" if "relu" in rlabel and l0 is not None else ""))
            if group and w is not None:
                best_w = w if best_w is None else max(best_w, w)
            if group and c is not None:
                best_c = c if best_c is None else max(best_c, c)
        ratio_w = f"{s_w / best_w:.2f}x" if s_w and best_w else "–"
        ratio_c = f"{s_c / best_c:.2f}x" if s_c and best_c else "–"
        met = "met" if s_w and best_w and s_w / best_w >= target else "not met"
        l0_txt = f" [L0 {s_l0:.0f}]" if s_l0 is not None else ""
        print(f"| {label} | {fmt(s_w)} ({fmt(s_c)}){l0_txt} | {'; '.join(ref_txt)} | "
              f"**{ratio_w}** ({ratio_c}) | >= {target}x: {met} (wall) |")


if __name__ == "__main__":
    main()
