#!/usr/bin/env python3
"""The MoE layer step of scripts/gpu-check.sh, written in JAX: the reference hlo4j's GPU time is compared with.

The same step as GpuMoeCheck (runtime/src/test/pjrt-gpu): TOP_K routing (softmax of x @ gate, top-k, weights not
renormalised), SiLU-gated experts (silu(x wi) * (x wu)) wd over expert-sorted rows with jax.lax.ragged_dot, the
weighted rows summed back per token; loss sum(y*y); value_and_grad w.r.t. (x, gate, wi, wu, wd). Parameters are
f32. The bf16 run casts them to bf16 inside the step where hlo4j's bf16 layer does: router logits rounded to bf16,
softmax in f32, top-k on the probabilities rounded to bf16; the experts' ragged_dots take and give bf16 (hlo4j's
Linalg.raggedDot with no preferred type), SiLU in bf16; the weighted combine and the sum per token in f32, then the
layer's output cast to bf16 (BaseMoeModule: out.astype(compute)), so y*y and the loss's sum are bf16 too. The loss
is summed by jax.lax.reduce with a bf16 zero, which JAX turns into reduce_sum in the operand's type
(_get_monoid_reducer, jax/_src/lax/lax.py), as hlo4j's Reductions.sum is one bf16 stablehlo.reduce; jnp.sum would
instead add bf16 in f32 and round once (_reduce_sum's upcast_f16_for_computation, jax/_src/numpy/reductions.py;
jax-ml/jax cec06d11). In f32 every cast is the identity.

Timing, the same as GpuMoeCheck.time on hlo4j's side: the arguments are put on the GPU once (jnp.asarray), the step is
compiled by its first call (timed apart, with that run), then 3 warm-up runs and MOE_ITERS timed runs, each timed from
the call until jax.block_until_ready returns on all six outputs (loss and five gradients): execution only, no host
transfer; the median is reported. JAX's time also holds its Python dispatch (microseconds; a step is milliseconds).
On GPU, ragged_dot lowers to chlo.ragged_dot unless jax_ragged_dot_use_gpu_pallas_triton_lowering is set (default
False: jax/_src/config.py and jax/_src/lax/lax.py _ragged_dot_general_gpu_lowering, jax-ml/jax cec06d11, 0.11.1.dev),
so XLA compiles the same op on both sides.

Sizes from the environment (same names and defaults as GpuMoeCheck): MOE_T tokens, MOE_H, MOE_M, MOE_E, MOE_K,
MOE_ITERS. Prints one line per dtype:
  BENCH jax <dtype> <median> ms <TFLOP/s> TFLOP/s (...)
FLOPs: 3 * (2*T*k*3*H*M + 2*T*H*E) (forward + backward of the routed experts and the router), GpuMoeCheck.stepFlops.
"""
import os
import sys
import time

import numpy as np


def env(name, default):
    v = os.environ.get(name, "").strip()
    return int(v) if v else default


T, H, M, E, K = env("MOE_T", 4096), env("MOE_H", 2048), env("MOE_M", 5632), env("MOE_E", 8), env("MOE_K", 2)
ITERS = env("MOE_ITERS", 20)
WARMUPS = 3   # GpuMoeCheck.WARMUPS


def main():
    import jax
    import jax.numpy as jnp

    print("jax", jax.__version__, "devices", jax.devices(), flush=True)

    def layer(x, gate, wi, wu, wd, dtype):
        xt = x.reshape(-1, H)
        logits = jnp.dot(xt.astype(dtype), gate.astype(dtype), preferred_element_type=jnp.float32).astype(dtype)
        probs = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(dtype)   # scores in the compute dtype
        weights, experts = jax.lax.top_k(probs, K)                  # [T, K]
        flat = experts.reshape(-1)
        order = jnp.argsort(flat, stable=True)                       # rows sorted by expert
        token = order // K
        rows = xt[token].astype(dtype)
        sizes = jnp.bincount(flat, length=E).astype(jnp.int32)
        h1 = jax.lax.ragged_dot(rows, wi.astype(dtype), sizes)       # [T*k, M] in dtype
        h2 = jax.lax.ragged_dot(rows, wu.astype(dtype), sizes)
        act = jax.nn.silu(h1) * h2
        out = jax.lax.ragged_dot(act, wd.astype(dtype), sizes).astype(jnp.float32)
        out = out * weights.reshape(-1)[order].astype(jnp.float32)[:, None]
        y = jnp.zeros((T, H), jnp.float32).at[token].add(out)
        return y.astype(dtype).reshape(x.shape)                     # the layer's output in the compute dtype

    def loss(x, gate, wi, wu, wd, dtype):
        y = layer(x, gate, wi, wu, wd, dtype)
        # sum(y*y) in y's dtype, one reduce (not jnp.sum: it would accumulate bf16 in f32)
        return jax.lax.reduce(y * y, np.zeros((), y.dtype), jax.lax.add, tuple(range(y.ndim)))

    step = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2, 3, 4)), static_argnums=5)

    rng = np.random.default_rng(11)
    def normal(scale, *shape):
        return jnp.asarray((rng.standard_normal(shape) * scale).astype(np.float32))
    args = (normal(1.0, 1, T, H), normal(H ** -0.5, H, E), normal(H ** -0.5, E, H, M), normal(H ** -0.5, E, H, M),
            normal(M ** -0.5, E, M, H))
    flops = 3 * (2 * T * K * 3 * H * M + 2 * T * H * E)
    failed = 0
    for name, dtype in (("float32", jnp.float32), ("bfloat16", jnp.bfloat16)):
        try:   # one dtype's failure (out of memory, a lowering this JAX lacks) is its line; the other still runs
            t0 = time.perf_counter()
            jax.block_until_ready(step(*args, dtype))
            compile_ms = (time.perf_counter() - t0) * 1e3
            for _ in range(WARMUPS):
                jax.block_until_ready(step(*args, dtype))
            times = []
            for _ in range(ITERS):
                t0 = time.perf_counter()
                jax.block_until_ready(step(*args, dtype))
                times.append((time.perf_counter() - t0) * 1e3)
        except Exception as e:
            failed += 1
            print(f"BENCH jax {name} FAILED {type(e).__name__}: {(str(e).splitlines() or [''])[0]}", flush=True)
            continue
        med = sorted(times)[ITERS // 2]   # the upper middle for an even count, as GpuMoeCheck takes it
        print(f"BENCH jax {name} {med:.3f} ms {flops / (med * 1e-3) / 1e12:.1f} TFLOP/s "
              f"(compile+first run {compile_ms:.0f} ms, T={T} H={H} M={M} E={E} k={K}, median of {ITERS} after {WARMUPS} warm-ups, "
              f"min {min(times):.3f} max {max(times):.3f})",
              flush=True)
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
