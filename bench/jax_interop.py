#!/usr/bin/env python3
"""The GPU check's interop stage, JAX's side: programs exported from real JAX for hlo4j to read.

Usage: jax_interop.py OUTDIR

Writes, the way docs/jax-interop.md tells users to, a set of JAX programs as StableHLO text
(jax.jit(f).lower(...).as_text(), as_text(debug_info=True), jax.export's mlir_module(); with and without a mesh and a
shard_map; an MoE-like function with ragged_dot, top_k, argsort and a scatter-add; gradients), their inputs and JAX's
outputs as .npy, and OUTDIR/manifest.json; then runtime/src/test/pjrt-gpu/io/hlo4j/gpucheck/InteropCheck.java runs each text on hlo4j's
interpreter and compares. JAX runs on its CPU backend with 8 simulated devices (the meshes need 4; a GPU has one), so
its outputs are exact float32 CPU results; the "cuda" programs are lowered for CUDA with jax.export (no GPU needed:
ragged_dot lowers to chlo.ragged_dot only for GPU and TPU) and compared with the same CPU outputs.

Prints one line per program written ("export <name>: ...") or refused by JAX ("export <name>: JAX FAILED ...");
manifest.json is rewritten after each program, so a run stopped by its timeout leaves the ones written. Exit 0 when
every program was written, 3 when some were (JAX failed on others), 1 when none was.
"""
import json
import os
import sys
import traceback

os.environ["JAX_PLATFORMS"] = "cpu"   # no GPU client: it would take 75% of the GPU's memory for nothing, and 8 CPU devices are wanted
# 8 CPU devices: JAX 0.11 reads jax_num_cpu_devices (env JAX_NUM_CPU_DEVICES) first and falls back to the XLA flag
# when it is unset (jax/_src/xla_bridge.py make_cpu_client and num_cpu_devices, jax-ml/jax cec06d11); both are set,
# the flag for a JAX without the option.
os.environ.setdefault("JAX_NUM_CPU_DEVICES", "8")
if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()

import numpy as np

TOL = 1e-4   # max |hlo4j - JAX| / max |JAX| per result, float32 (other summation orders, other exp/log/tanh)


def main(out):
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

    os.makedirs(out, exist_ok=True)
    devs = sorted(jax.devices("cpu"), key=lambda d: d.id)
    import jaxlib
    print("jax", jax.__version__, "jaxlib", getattr(jaxlib, "__version__", "?"), "cpu devices", len(devs), flush=True)
    rng = np.random.default_rng(3)
    manifest = {"jax": jax.__version__, "programs": []}

    def normal(scale, *shape):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    def write(name, text, args, outs, what, spmd=False, tol=TOL):
        with open(os.path.join(out, name + ".mlir"), "w") as f:
            f.write(text)
        ins = []
        for i, a in enumerate(jax.tree_util.tree_leaves(args)):
            ins.append(f"{name}.in{i}.npy")
            np.save(os.path.join(out, ins[-1]), np.asarray(a))
        outs_f = []
        for j, o in enumerate(jax.tree_util.tree_leaves(outs)):
            outs_f.append(f"{name}.out{j}.npy")
            np.save(os.path.join(out, outs_f[-1]), np.asarray(o))
        manifest["programs"].append({"name": name, "what": what, "mlir": name + ".mlir", "inputs": ins, "outputs": outs_f,
                                     "spmd": spmd, "tol": tol})
        with open(os.path.join(out, "manifest.json"), "w") as f:   # after each program: a run stopped later keeps these
            json.dump(manifest, f, indent=1)
        print(f"export {name}: {what}: {len(text)} chars, {len(ins)} inputs, {len(outs_f)} outputs", flush=True)

    failed = []

    def attempt(name, fn):
        try:
            fn()
        except Exception as e:   # a construct JAX itself refuses here: say so and go on
            failed.append(name)
            print(f"export {name}: JAX FAILED {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}", flush=True)
            traceback.print_exc(limit=3, file=sys.stdout)

    # 1. The page's first example: relu(x @ w), jit(...).lower(...).as_text(), with and without debug_info.
    def mlp(x, w):
        return jax.nn.relu(x @ w)
    x, w = normal(1, 8, 4), normal(1, 4, 6)

    def plain():
        lowered = jax.jit(mlp).lower(x, w)
        write("relu-dot", lowered.as_text(), (x, w), jax.jit(mlp)(x, w), "jit(f).lower(x, w).as_text()")
        write("relu-dot-debug", lowered.as_text(debug_info=True), (x, w), jax.jit(mlp)(x, w), "as_text(debug_info=True)")
    attempt("relu-dot", plain)

    # 2. With a mesh: in_shardings on a 2x2 mesh (Shardy: sdy.mesh, sdy.sharding), run on one device and with --spmd.
    # (The meshes are built inside each attempt: with fewer than 4 CPU devices that program fails, not the script.)
    def meshed():
        mesh = Mesh(np.array(devs[:4]).reshape(2, 2), ("data", "model"))
        sx, sw = NamedSharding(mesh, P("data", None)), NamedSharding(mesh, P(None, "model"))
        f = jax.jit(mlp, in_shardings=(sx, sw))
        write("relu-dot-mesh", f.lower(x, w).as_text(), (x, w), f(jax.device_put(x, sx), jax.device_put(w, sw)),
              "jit(f, in_shardings=...) on a 2x2 mesh", spmd=True)
    attempt("relu-dot-mesh", meshed)

    # 3. A shard_map with a psum and an all_gather, as lowered text and through jax.export (Shardy's round-trip form).
    # out_specs P(None) says the gathered b is the same on every device. JAX 0.11 checks that (check_vma, on by
    # default) and an all_gather's result varies over x unless asked otherwise: to="invarying" (JAX 0.11) says it does
    # not; a JAX without that parameter gets check_vma=False instead. (Read in jax-ml/jax cec06d11, 0.11.1.dev:
    # jax/_src/lax/parallel.py all_gather(..., to='varying'|'reduced'|'invarying'), 'invarying' being
    # all_gather_invariant; jax/_src/shard_map.py shard_map(f, /, *, out_specs, in_specs, mesh, axis_names, check_vma=True),
    # exported as jax.shard_map.)
    import inspect
    invarying = "to" in inspect.signature(jax.lax.all_gather).parameters

    def body(a, b):
        s = jax.lax.psum(jnp.sum(a * a, axis=0, keepdims=True), "x")
        g = jax.lax.all_gather(b, "x", tiled=True, to="invarying") if invarying else jax.lax.all_gather(b, "x", tiled=True)
        return s, g

    a, b = normal(1, 8, 3), normal(1, 8)

    def shard_mapped():
        mesh4 = Mesh(np.array(devs[:4]), ("x",))
        smap = jax.jit(jax.shard_map(body, mesh=mesh4, in_specs=(P("x", None), P("x")), out_specs=(P(None, None), P(None)),
                                     **({} if invarying else {"check_vma": False})))
        want = smap(a, b)
        write("shard-map", smap.lower(a, b).as_text(), (a, b), want, "jit(shard_map(psum, all_gather)) on 4 devices", spmd=True)
        exp = jax.export.export(smap)(a, b)
        write("shard-map-export", exp.mlir_module(), (a, b), want, "jax.export of the shard_map: mlir_module()", spmd=True)
    attempt("shard-map", shard_mapped)

    # jax.export.export(jit_fn, *, platforms=None, ...)(*args) -> Exported; Exported.mlir_module() returns the module as
    # text (jax/_src/export/_export.py, jax-ml/jax cec06d11); Lowered.as_text(dialect=None, *, debug_info=False)
    # (jax/_src/stages.py).
    def exported_plain():
        exp = jax.export.export(jax.jit(mlp))(x, w)
        write("relu-dot-export", exp.mlir_module(), (x, w), jax.jit(mlp)(x, w), "jax.export(jit(f))(x, w).mlir_module()")
    attempt("relu-dot-export", exported_plain)

    # 4. An MoE-like layer: softmax router, top_k, argsort of the expert ids, gather, ragged_dot (grouped matmul over
    #    expert-sorted rows), SiLU gate, scatter-add back per token. T=16 tokens, H=8, M=16, E=4, k=2.
    T, H, M, E, K = 16, 8, 16, 4, 2

    def moe(xt, gate, wi, wu, wd):
        probs = jax.nn.softmax(xt @ gate, axis=-1)
        weights, experts = jax.lax.top_k(probs, K)
        flat = experts.reshape(-1)
        order = jnp.argsort(flat, stable=True)
        token = order // K
        rows = xt[token]
        sizes = jnp.bincount(flat, length=E).astype(jnp.int32)
        h = jax.nn.silu(jax.lax.ragged_dot(rows, wi, sizes)) * jax.lax.ragged_dot(rows, wu, sizes)
        y = jax.lax.ragged_dot(h, wd, sizes) * weights.reshape(-1)[order][:, None]
        return jnp.zeros((T, H), jnp.float32).at[token].add(y)

    margs = (normal(1, T, H), normal(H ** -0.5, H, E), normal(H ** -0.5, E, H, M), normal(H ** -0.5, E, H, M),
             normal(M ** -0.5, E, M, H))

    def moe_fwd():
        write("moe", jax.jit(moe).lower(*margs).as_text(), margs, jax.jit(moe)(*margs), "MoE-like layer (cpu lowering)")
    attempt("moe", moe_fwd)

    def moe_cuda():
        exp = jax.export.export(jax.jit(moe), platforms=("cuda",))(*margs)
        write("moe-cuda", exp.mlir_module(), margs, jax.jit(moe)(*margs), "MoE-like layer lowered for cuda (chlo.ragged_dot)")
    attempt("moe-cuda", moe_cuda)

    def loss(xt, gate, wi, wu, wd):
        y = moe(xt, gate, wi, wu, wd)
        return jnp.sum(y * y)

    def moe_grad():
        g = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2, 3, 4)))
        write("moe-grad", g.lower(*margs).as_text(), margs, g(*margs), "value_and_grad of the MoE-like layer's sum(y*y)")
    attempt("moe-grad", moe_grad)

    # 5. A grad of a small tanh MLP with a mean-squared loss, and a few reductions and scans.
    def mse(params, xb, yb):
        w1, w2 = params
        return jnp.mean((jnp.tanh(xb @ w1) @ w2 - yb) ** 2)
    p, xb, yb = (normal(0.5, 4, 8), normal(0.5, 8, 1)), normal(1, 16, 4), normal(1, 16, 1)

    def grad():
        g = jax.jit(jax.grad(mse))
        write("mlp-grad", g.lower(p, xb, yb).as_text(), (p, xb, yb), g(p, xb, yb), "jax.grad of a tanh MLP's mean squared error")
    attempt("mlp-grad", grad)

    def misc(v):
        return (jax.nn.logsumexp(v, axis=1), jnp.cumsum(v, axis=0), jnp.argmax(v, axis=1).astype(jnp.int32),
                jnp.sort(v, axis=1), jnp.where(v > 0, v, 0.1 * v))
    v = normal(1, 6, 5)

    def misc_ops():
        write("misc", jax.jit(misc).lower(v).as_text(), (v,), jax.jit(misc)(v), "logsumexp, cumsum, argmax, sort, where")
    attempt("misc", misc_ops)

    print(f"wrote {len(manifest['programs'])} programs to {out}" + (f"; JAX failed on {', '.join(failed)}" if failed else ""), flush=True)
    return 1 if not manifest["programs"] else 3 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: jax_interop.py OUTDIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
