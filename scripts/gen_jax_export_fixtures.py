#!/usr/bin/env python3
"""Writes the inputs, expected outputs and manifest.json of cli/src/test/resources/jaxexport.

The .mlir files there are hand-written close to the form JAX 0.11 prints (jit(f).lower(...).as_text(), jax.export's
mlir_module() lowered for cuda; docs/gpu.md lists what was checked against JAX's sources: jax.uses_shape_polymorphism
only in the export, chlo.top_k without is_stable when it is the default true); no JAX runs here. This script computes what each program must return with plain
numpy, independently of hlo4j, so that InteropCheck (the GPU check's interop stage, run on these files by
`scripts/gpu-check.sh selftest`) and JaxExportFixturesTest compare hlo4j's interpreter with them exactly as the GPU
machine compares it with JAX's own outputs. Deterministic (fixed seed). Run from the repository root:
    python3 scripts/gen_jax_export_fixtures.py
"""
import json
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'cli', 'src', 'test', 'resources', 'jaxexport')
rng = np.random.default_rng(17)


def normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def relu_dot(x, w):
    return [np.maximum(x.astype(np.float64) @ w, 0)]


def router(logits):
    z = logits.astype(np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    idx = np.argsort(-p, axis=1, kind='stable')[:, :2].astype(np.int32)   # top-2, distinct values: no ties
    vals = np.take_along_axis(p, idx, axis=1)
    flat = idx.reshape(-1)
    counts = np.bincount(flat, minlength=4).astype(np.int32)
    order = np.argsort(flat, kind='stable').astype(np.int32)
    return [vals, idx, counts, order]


def ragged_dot(lhs, rhs, sizes):
    out = np.zeros((lhs.shape[0], rhs.shape[2]))
    start = 0
    for g, n in enumerate(sizes):
        out[start:start + n] = lhs[start:start + n].astype(np.float64) @ rhs[g]
        start += n
    return [out / (1 + np.exp(-out))]   # silu(h) = h * sigmoid(h)


def mlp_grad(w, x):
    # d/dw 0.5 * sum(tanh(x w)^2) = x^T (tanh(x w) * (1 - tanh(x w)^2))
    t = np.tanh(x.astype(np.float64) @ w)
    return [x.astype(np.float64).T @ (t * (1 - t * t))]


PROGRAMS = [
    ('relu-dot', 'jit(relu(x @ w)).lower(x, w).as_text()', False, relu_dot, lambda: [normal(8, 4), normal(4, 6)]),
    ('relu-dot-mesh', 'the same with in_shardings on a 2x2 mesh, as_text(debug_info=True)', True, relu_dot,
     lambda: [normal(8, 4), normal(4, 6)]),
    ('router', 'softmax, top_k, a scatter-add of expert counts, a stable argsort', False, router, lambda: [normal(6, 4)]),
    ('ragged-dot-cuda', 'jax.export for cuda: chlo.ragged_dot then silu', False, ragged_dot,
     lambda: [normal(6, 3), normal(2, 3, 4), np.array([2, 4], np.int32)]),
    ('mlp-grad', 'jax.grad of 0.5 * sum(tanh(x @ w)^2) w.r.t. w', False, mlp_grad, lambda: [normal(2, 3), normal(4, 2)]),
]


def main():
    manifest = {'jax': 'none: hand-written close to the form JAX 0.11 prints; expected values from numpy (scripts/gen_jax_export_fixtures.py)',
                'programs': []}
    for name, what, spmd, fn, make in PROGRAMS:
        args = make()
        outs = fn(*args)
        ins, wants = [], []
        for i, a in enumerate(args):
            ins.append(f'{name}.in{i}.npy')
            np.save(os.path.join(OUT, ins[-1]), a)
        for j, o in enumerate(outs):
            wants.append(f'{name}.out{j}.npy')
            np.save(os.path.join(OUT, wants[-1]), o.astype(np.float32) if o.dtype == np.float64 else o)
        manifest['programs'].append({'name': name, 'what': what, 'mlir': name + '.mlir', 'inputs': ins, 'outputs': wants,
                                     'spmd': spmd, 'tol': 1e-5})
    with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
