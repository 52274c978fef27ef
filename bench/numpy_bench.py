"""numpy half of bench/interp_vs_numpy.sh: the same five cases as InterpBench (same shapes, f32/int32 data),
warm-up runs untimed, best of N timed. Prints `name best_ms runs cpu=ms checksum=...` per case, then the BLAS in use."""
import sys
import time

import numpy as np

rng = np.random.default_rng(42)
warmup = int(sys.argv[1]) if len(sys.argv) > 1 else 1
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def uniform(scale, *shape):
    return ((rng.random(shape) * 2 - 1) * scale).astype(np.float32)


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def moe(x, wr, w1, w2):
    """Same algorithm as InterpBench.moe: top-2 routing, pairs sorted by expert, per-expert SiLU MLP, gate-weighted sum."""
    logits = x @ wr
    e = np.argsort(-logits, axis=1, kind="stable")[:, :2]
    v = np.take_along_axis(logits, e, axis=1)
    g = np.exp(v - v.max(axis=1, keepdims=True))
    g /= g.sum(axis=1, keepdims=True)
    ef = e.reshape(-1)
    perm = np.argsort(ef, kind="stable")
    tok = perm // 2
    xs = x[tok]
    counts = np.bincount(ef, minlength=8)
    y = np.empty_like(xs)
    lo = 0
    for k in range(8):
        hi = lo + counts[k]
        h = xs[lo:hi] @ w1[k]
        y[lo:hi] = (h * (1 / (1 + np.exp(-h)))) @ w2[k]
        lo = hi
    y *= g.reshape(-1)[perm][:, None]
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    return y[inv].reshape(4096, 2, 1024).sum(axis=1)


def run(name, fn, args, w=warmup, r=repeat):
    best = best_cpu = float("inf")
    out = None
    for i in range(w + r):
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn(*args)
        ms, cpu = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
        if i >= w:
            best, best_cpu = min(best, ms), min(best_cpu, cpu)
    # cpu: CPU time of the whole process (all threads, OpenBLAS's included) in the least costly timed run
    print(f"{name} {best:.3f} {r} cpu={best_cpu:.3f} checksum={float(np.abs(out.astype(np.float64)).mean()):.6g}",
          flush=True)


cases = sys.argv[3:] or ["matmul", "softmax", "argsort", "gather", "moe"]
for c in cases:
    if c == "matmul":
        run(c, np.matmul, (uniform(1, 1024, 1024), uniform(1, 1024, 1024)))
    elif c == "softmax":
        run(c, softmax, (uniform(4, 8192, 256),))
    elif c == "argsort":
        run(c, lambda k: np.argsort(k, kind="stable"), (rng.integers(0, 1000, 65536, dtype=np.int32),))
    elif c == "gather":
        run(c, lambda t, i: t[i], (uniform(1, 8192, 1024), rng.integers(0, 8192, 65536, dtype=np.int32)))
    elif c == "moe":
        run(c, moe, (uniform(1, 4096, 1024), uniform(1 / 32, 1024, 8), uniform(1 / 32, 8, 1024, 2816),
                     uniform(1 / 53, 8, 2816, 1024)), min(warmup, 1), min(repeat, 2))

try:
    from threadpoolctl import threadpool_info
    for p in threadpool_info():
        print(f"blas: {p.get('internal_api')} {p.get('version')} kernel={p.get('architecture')} threads={p.get('num_threads')}")
except ImportError:
    # No threadpoolctl: ask the OpenBLAS that numpy loaded directly (scipy-openblas names its symbols *64_).
    import ctypes
    import glob
    import os
    cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    found = False
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*")):
        lib = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_openblas", "64_"), ("openblas", "64_"), ("openblas", "")):
            core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
            threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if core is not None and threads is not None:
                core.restype = ctypes.c_char_p
                print(f"blas: {cfg.get('name')} {cfg.get('version')} kernel={core().decode()} threads={threads()}"
                      f" (from {os.path.basename(path)}; threadpoolctl not installed)")
                found = True
                break
    if not found:
        print(f"blas: {cfg.get('name')} {cfg.get('version')} (threadpoolctl not installed: the kernel that ran is unknown)")
