#!/usr/bin/env python3
"""Writes scipy/numpy golden values for the interpreter's chlo.zeta, chlo.polygamma and einsum kernels into
runtime/src/test/resources/fixtures/special/ (read by runtime's SpecialChloKernelsTest and LegacyOpKernelsTest).

zeta_polygamma.txt: `FN A B EXPECTED` per line, FN in {zeta, polygamma}; zeta(A=x, B=q) is scipy.special.zeta(x, q)
(Hurwitz), polygamma(A=n, B=x) is scipy.special.polygamma(n, x); all float64, printed with repr (round-trips).
einsum.txt: `CONFIG | SHAPES | OPERANDS | EXPECTED`; shapes `2x3;3x4`, operands `;`-separated, values
`,`-separated (small integers, so float64 sums are exact); expected is numpy.einsum in float64, flattened.

Usage: python3 scripts/gen_special_fixtures.py [OUT_DIR]   (numpy + scipy; deterministic)
"""
import os
import sys

import numpy as np
from scipy import special

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "src", "test", "resources", "fixtures", "special")
os.makedirs(OUT, exist_ok=True)

lines = []
for x in [1.5, 2.0, 3.0, 4.5, 7.0, 12.0, 30.0]:
    for q in [0.25, 0.5, 1.0, 2.0, 3.7, 10.0, 123.0]:
        lines.append(f"zeta {x!r} {q!r} {float(special.zeta(x, q))!r}")
# q < 0 with integer x: the sum is still defined away from the poles
for x, q in [(2.0, -0.5), (3.0, -1.25), (4.0, -2.5)]:
    lines.append(f"zeta {x!r} {q!r} {float(special.zeta(x, q))!r}")
for n in [1.0, 2.0, 3.0, 4.0, 6.0]:
    for x in [0.3, 1.0, 2.5, 5.0, 17.0, -0.5, -2.25]:
        lines.append(f"polygamma {n!r} {x!r} {float(special.polygamma(int(n), x))!r}")
with open(os.path.join(OUT, "zeta_polygamma.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")

rng = np.random.default_rng(20261128)
cases = [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("i,j->ij", [(3,), (2,)]),
         ("ij,ij->", [(2, 3), (2, 3)]), ("ijk,kj->ki", [(2, 3, 4), (4, 3)]), ("ii->i", [(3, 3)]),
         ("ij->ji", [(2, 3)]), ("ijk->k", [(2, 3, 4)]), ("iji->j", [(2, 3, 2)])]
elines = []
for cfg, shapes in cases:
    ops = [rng.integers(-4, 5, size=s).astype(np.float64) for s in shapes]
    out = np.einsum(cfg, *ops)
    fmt = lambda a: ",".join(repr(float(v)) for v in np.ravel(a))
    elines.append(" | ".join([cfg, ";".join("x".join(map(str, s)) for s in shapes), ";".join(fmt(o) for o in ops), fmt(out)]))
with open(os.path.join(OUT, "einsum.txt"), "w") as f:
    f.write("\n".join(elines) + "\n")
