#!/usr/bin/env python3
"""Writes scipy/numpy golden values for the interpreter's chlo.zeta, chlo.polygamma and einsum kernels into
runtime/src/test/resources/fixtures/special/ (read by runtime's SpecialChloKernelsTest and LegacyOpKernelsTest).

zeta_polygamma.txt: `FN A B EXPECTED XLA` per line, FN in {zeta, polygamma}; zeta(A=x, B=q) is scipy.special.zeta(x, q)
(Hurwitz), polygamma(A=n, B=x) is scipy.special.polygamma(n, x); all float64, printed with repr (round-trips).
XLA is the same function computed in float64 by a transcription of the CHLO decomposition (stablehlo's
ChloLegalizeToStablehlo materializeZeta/materializePolygamma). That decomposition's Euler-Maclaurin tail multiplies
by (x - 22 + 2i)(x - 21 + 2i) where the rising factorial (x + 21 - 2i)(x + 22 - 2i) belongs, which limits it to
about 1e-7 relative accuracy; the interpreter reproduces XLA, so its kernel is checked tightly against XLA and
loosely against scipy.
einsum.txt: `CONFIG | SHAPES | OPERANDS | EXPECTED`; shapes `2x3;3x4`, operands `;`-separated, values
`,`-separated (small integers, so float64 sums are exact); expected is numpy.einsum in float64, flattened.

Usage: python3 scripts/gen_special_fixtures.py [OUT_DIR]   (numpy + scipy; deterministic)
"""
import math
import os
import sys

import numpy as np
from scipy import special

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "runtime", "src", "test", "resources", "fixtures", "special")
os.makedirs(OUT, exist_ok=True)

ZETA_COEFFS = [-7.1661652561756670113e18, 1.8152105401943546773e17, -4.5979787224074726105e15, 1.1646782814350067249e14,
               -2.950130727918164224e12, 7.47242496e10, -1.8924375803183791606e9, 47900160.0, -1209600.0, 30240.0,
               -720.0, 12.0]


def xla_zeta(x, q):
    a = q
    initial = q ** -x
    for _ in range(9):
        a += 1
        initial += a ** -x
    a += 1
    neg_power = a ** -x
    s = initial + neg_power * a / (x - 1)
    a_inv_sq = 1 / (a * a)
    horner = 0.0
    for i in range(11):
        horner = (x - (22 - 2 * i)) * (x - (21 - 2 * i)) * (a_inv_sq * (horner + 1 / ZETA_COEFFS[i]))
    s += neg_power * (0.5 + x / a * (1 / ZETA_COEFFS[11] + horner))
    return s  # the special-value selects do not apply to the cases below


def xla_polygamma(n, x):
    return (2 * (n % 2) - 1) * math.exp(math.lgamma(n + 1)) * xla_zeta(n + 1, x)


lines = []
for x in [1.5, 2.0, 3.0, 4.5, 7.0, 12.0, 30.0]:
    for q in [0.25, 0.5, 1.0, 2.0, 3.7, 10.0, 123.0]:
        lines.append(f"zeta {x!r} {q!r} {float(special.zeta(x, q))!r} {xla_zeta(x, q)!r}")
# q < 0 with integer x: the sum is still defined away from the poles
for x, q in [(2.0, -0.5), (3.0, -1.25), (4.0, -2.5)]:
    lines.append(f"zeta {x!r} {q!r} {float(special.zeta(x, q))!r} {xla_zeta(x, q)!r}")
for n in [1.0, 2.0, 3.0, 4.0, 6.0]:
    for x in [0.3, 1.0, 2.5, 5.0, 17.0, -0.5, -2.25]:
        lines.append(f"polygamma {n!r} {x!r} {float(special.polygamma(int(n), x))!r} {xla_polygamma(n, x)!r}")
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
