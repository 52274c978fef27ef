#!/usr/bin/env python3
"""Writes numpy golden fixtures for the interpreter's fft, triangular_solve, cholesky and batch_norm_* kernels
into runtime/src/test/resources/fixtures/linalg/ (read by runtime's LinalgFixturesTest).

cases.txt has one line per case: `KIND NAME N_IN N_OUT ATTRS...`; the inputs are NAME_in0.npy, NAME_in1.npy, ...
and the expected results NAME_out0.npy, ... . Expected values are computed by numpy in float64/complex128 from
the inputs as stored (already rounded to their dtype), then cast to the result dtype.

Usage: python3 scripts/gen_linalg_fixtures.py [OUT_DIR]   (numpy only; deterministic)
"""
import os
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "src", "test", "resources", "fixtures", "linalg")
rng = np.random.default_rng(20261128)
lines = []


def save(name, ins, outs, kind, *attrs):
    for i, a in enumerate(ins):
        np.save(os.path.join(OUT, f"{name}_in{i}.npy"), a)
    for i, a in enumerate(outs):
        np.save(os.path.join(OUT, f"{name}_out{i}.npy"), a)
    lines.append(" ".join([kind, name, str(len(ins)), str(len(outs))] + [str(a) for a in attrs]))


def cplx(shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def fft_cases():
    # (name, type, shape of the operand, number of transformed trailing dims)
    cases = [("pow2", (8,), 1), ("n6", (3, 6), 1), ("n7", (7,), 1), ("n100", (2, 100), 1), ("n127", (127,), 1),
             ("n1000", (1000,), 1), ("n1024", (1024,), 1), ("2d", (2, 6, 10), 2), ("3d", (2, 3, 5), 3),
             ("3d_bluestein", (4, 70, 2), 3)]
    for dt, tag in ((np.complex64, "c64"), (np.complex128, "c128")):
        real = np.float32 if dt == np.complex64 else np.float64
        for name, shape, l in cases:
            axes = tuple(range(len(shape) - l, len(shape)))
            lens = ",".join(str(shape[a]) for a in axes)
            x = cplx(shape, dt)
            xd = x.astype(np.complex128)
            save(f"fft_{name}_{tag}", [x], [np.fft.fftn(xd, axes=axes).astype(dt)], "fft", "FFT", lens)
            save(f"ifft_{name}_{tag}", [x], [np.fft.ifftn(xd, axes=axes).astype(dt)], "fft", "IFFT", lens)
            r = rng.standard_normal(shape).astype(real)
            save(f"rfft_{name}_{tag}", [r], [np.fft.rfftn(r.astype(np.float64), axes=axes).astype(dt)], "fft", "RFFT", lens)
            n = shape[-1]
            hshape = shape[:-1] + (n // 2 + 1,)
            h = cplx(hshape, dt)
            want = np.fft.irfftn(h.astype(np.complex128), s=[shape[a] for a in axes], axes=axes).astype(real)
            save(f"irfft_{name}_{tag}", [h], [want], "fft", "IRFFT", lens)


def tri(m, lower, dtype, complex_):
    """A well-conditioned square matrix; the triangle the kernel must not read holds other values."""
    a = cplx((m, m), np.complex128) if complex_ else rng.standard_normal((m, m))
    a = a + np.eye(m) * (m + 2)
    other = np.triu(np.ones((m, m)), 1) if lower else np.tril(np.ones((m, m)), -1)
    return np.where(other > 0, 7 * a + 3, a).astype(dtype)


def trsolve_cases():
    for dt, complex_ in ((np.float32, False), (np.float64, False), (np.complex64, True), (np.complex128, True)):
        tag = np.dtype(dt).name
        for left in (True, False):
            for lower in (True, False):
                for unit in (False, True):
                    for tr in ("NO_TRANSPOSE", "TRANSPOSE", "ADJOINT"):
                        batch, m, n = 2, 5, 3
                        stored, ts = [], []
                        for _ in range(batch):
                            s = tri(m, lower, dt, complex_)
                            stored.append(s)
                            # the oracle's matrix comes from what was stored, so the rounding of a is in it too
                            sd = s.astype(np.complex128 if complex_ else np.float64)
                            t = np.tril(sd) if lower else np.triu(sd)
                            if unit:
                                np.fill_diagonal(t, 1)
                            ts.append(t)
                        a = np.stack(stored)
                        bshape = (batch, m, n) if left else (batch, n, m)
                        b = (cplx(bshape, dt) if complex_ else rng.standard_normal(bshape)).astype(dt)
                        bd = b.astype(np.complex128 if complex_ else np.float64)
                        xs = []
                        for i in range(batch):
                            op = ts[i] if tr == "NO_TRANSPOSE" else ts[i].T if tr == "TRANSPOSE" else ts[i].conj().T
                            xs.append(np.linalg.solve(op, bd[i]) if left else np.linalg.solve(op.T, bd[i].T).T)
                        name = f"trsolve_{tag}_{'l' if left else 'r'}_{'lo' if lower else 'up'}_{'u' if unit else 'n'}_{tr.lower()}"
                        save(name, [a, b], [np.stack(xs).astype(dt)], "triangular_solve",
                             str(left).lower(), str(lower).lower(), str(unit).lower(), tr)


def cholesky_cases():
    for dt, complex_ in ((np.float32, False), (np.float64, False), (np.complex64, True), (np.complex128, True)):
        tag = np.dtype(dt).name
        for lower in (True, False):
            batch, m = 3, 6
            mats, outs = [], []
            for _ in range(batch):
                g = cplx((m, m), np.complex128) if complex_ else rng.standard_normal((m, m))
                h = g @ g.conj().T + m * np.eye(m)  # Hermitian positive definite
                hs = h.astype(dt)
                hd = hs.astype(np.complex128 if complex_ else np.float64)
                # the kernel reads only one triangle: put junk in the other one, and build the oracle's matrix from
                # the triangle it reads (so the rounding of the stored values is in the oracle too)
                if lower:
                    herm = np.tril(hd) + np.tril(hd, -1).conj().T
                    stored = np.where(np.triu(np.ones((m, m)), 1) > 0, 99, hs)
                else:
                    herm = np.triu(hd) + np.triu(hd, 1).conj().T
                    stored = np.where(np.tril(np.ones((m, m)), -1) > 0, 99, hs)
                if complex_:
                    herm[np.diag_indices(m)] = herm[np.diag_indices(m)].real
                L = np.linalg.cholesky(herm)
                mats.append(stored.astype(dt))
                outs.append((L if lower else L.conj().T).astype(dt))
            save(f"cholesky_{tag}_{'lo' if lower else 'up'}", [np.stack(mats)], [np.stack(outs)], "cholesky", str(lower).lower())


def batch_norm_cases():
    for dt in (np.float32, np.float64):
        tag = np.dtype(dt).name
        for shape, fi in (((4, 3, 5), 1), ((6, 4), 1), ((3, 2, 2, 5), 3), ((5, 2, 3), 0)):
            eps = float(np.float32(1e-3))  # the epsilon attribute is an f32
            c = shape[fi]
            axes = tuple(i for i in range(len(shape)) if i != fi)
            bshape = [1] * len(shape)
            bshape[fi] = c

            def b(v):
                return v.reshape(bshape)

            x = (rng.standard_normal(shape) * 2 + 0.5).astype(dt)
            scale = rng.standard_normal(c).astype(dt)
            offset = rng.standard_normal(c).astype(dt)
            mean = rng.standard_normal(c).astype(dt)
            var = (rng.random(c) + 0.5).astype(dt)
            xd, sd_, od, md, vd = (v.astype(np.float64) for v in (x, scale, offset, mean, var))
            name = f"bn_{tag}_{'x'.join(map(str, shape))}_f{fi}"
            inf = b(sd_) * (xd - b(md)) / np.sqrt(b(vd) + eps) + b(od)
            save(name + "_inference", [x, scale, offset, mean, var], [inf.astype(dt)], "batch_norm_inference", eps, fi)
            mu = xd.mean(axis=axes)
            v = xd.var(axis=axes)
            tr = b(sd_) * (xd - b(mu)) / np.sqrt(b(v) + eps) + b(od)
            save(name + "_training", [x, scale, offset], [tr.astype(dt), mu.astype(dt), v.astype(dt)],
                 "batch_norm_training", eps, fi)
            dy = rng.standard_normal(shape).astype(dt)
            dyd = dy.astype(np.float64)
            # gradient of batch_norm_training's output (batch statistics) w.r.t. x, scale and offset, with the
            # given mean and variance standing for the batch statistics (the textbook closed form)
            n = xd.size // c
            stdv = np.sqrt(b(vd) + eps)
            xhat = (xd - b(md)) / stdv
            g_offset = dyd.sum(axis=axes)
            g_scale = (dyd * xhat).sum(axis=axes)
            gx = b(sd_) / stdv / n * (n * dyd - b(g_offset) - xhat * b(g_scale))
            save(name + "_grad", [x, scale, mean, var, dy], [gx.astype(dt), g_scale.astype(dt), g_offset.astype(dt)],
                 "batch_norm_grad", eps, fi)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".npy") or f == "cases.txt":
            os.remove(os.path.join(OUT, f))
    fft_cases()
    trsolve_cases()
    cholesky_cases()
    batch_norm_cases()
    with open(os.path.join(OUT, "cases.txt"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases written to {OUT}")
