#!/usr/bin/env python3
"""Writes numpy golden fixtures for the DSL's jax.numpy / jax.nn / optax surface into dsl/src/test/resources/jnp/
(read by dsl's JnpGoldenTest).

cases.txt has one line per case: `NAME N_IN N_OUT`; the inputs are NAME_in0.npy, ... and the expected results
NAME_out0.npy, ... . Every expected value is computed here with numpy in float64 from the inputs as stored, by the
formula JAX and optax document (written out below, not taken from JAX); a bool result is stored as int32.
The Java test holds the matching DSL call for each NAME and fails on a case it does not know or one it lacks.

Usage: python3 scripts/gen_jnp_fixtures.py [OUT_DIR]   (numpy only; deterministic)
"""
import os
import sys

import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "dsl", "src", "test", "resources", "jnp")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261129)
lines = []


def case(name, ins, outs):
    for i, a in enumerate(ins):
        np.save(os.path.join(OUT, f"{name}_in{i}.npy"), np.asarray(a))
    for i, a in enumerate(outs):
        a = np.asarray(a)
        np.save(os.path.join(OUT, f"{name}_out{i}.npy"), a.astype(np.int32) if a.dtype == bool else a)
    lines.append(f"{name} {len(ins)} {len(outs)}")


def normal(*shape):
    return rng.standard_normal(shape)


x34 = normal(3, 4)
# ---- reductions -------------------------------------------------------------------------------------------
case("var_ddof1_axis1", [x34], [np.var(x34, axis=1, ddof=1)])
case("std_keepdims_axis0", [x34], [np.std(x34, axis=0, keepdims=True)])
case("var_all", [x34], [np.var(x34)])
xi = rng.integers(-5, 6, size=(2, 5)).astype(np.int32)
case("var_int_to_f32", [xi], [np.var(xi.astype(np.float64), axis=-1).astype(np.float32)])
case("var_ddof_ge_n_is_nan", [x34], [np.full((3,), np.nan)])  # N - ddof = 4 - 4 <= 0: JAX gives NaN
b = rng.random((3, 4)) > 0.5
b[0, :] = False
b[1, :] = True
case("any_all", [b], [np.any(b, axis=1), np.all(b, axis=1), np.any(b), np.all(b, axis=0, keepdims=True)])
xc = normal(3, 5)
case("cumsum_reverse", [xc], [np.flip(np.cumsum(np.flip(xc, 1), axis=1), 1)])
case("cumprod", [xc], [np.cumprod(xc, axis=1), np.flip(np.cumprod(np.flip(xc, 0), axis=0), 0)])
case("cummax_cummin", [xc], [np.maximum.accumulate(xc, axis=1), np.flip(np.minimum.accumulate(np.flip(xc, 1), axis=1), 1)])
xl = normal(2, 6) * 30
xl[0, 0] = -np.inf
case("cumlogsumexp", [xl], [np.logaddexp.accumulate(xl, axis=1), np.flip(np.logaddexp.accumulate(np.flip(xl, 1), axis=1), 1)])

# ---- element-wise --------------------------------------------------------------------------------------
xn = normal(3, 4)
xn[1, 2] = np.nan
case("clip", [xn], [np.clip(xn, -0.5, 0.5), np.minimum(np.maximum(xn, 0.5), -0.5), np.minimum(xn, 0.25)])
lo, hi = normal(4) * 0.3 - 0.5, normal(3, 1) * 0.3 + 0.5
case("clip_tensor_bounds", [xn, lo, hi], [np.minimum(np.maximum(xn, lo), hi)])
yy = np.array([0.0, -0.0, 1.0, -1.0, 0.0, 2.0, -3.0])
xx = np.array([-1.0, -1.0, 0.0, 0.0, 0.0, -2.0, 4.0])
case("atan2", [yy, xx], [np.arctan2(yy, xx)])
la = np.array([1.0, -np.inf, np.inf, -np.inf, 3.0, np.nan, 700.0, -2.0])
lb = np.array([2.0, -np.inf, np.inf, 5.0, 3.0, 1.0, 700.0, -800.0])
with np.errstate(invalid="ignore"):
    case("logaddexp", [la, lb], [np.logaddexp(la, lb)])
case("linspace", [], [np.linspace(-1.0, 2.0, 7), np.linspace(-1.0, 2.0, 6, endpoint=False), np.linspace(3.0, 5.0, 1)])
ls, le = np.array([0.0, 1.0]), np.array([[1.0, 3.0], [2.0, -1.0]])
case("linspace_tensor_bounds", [ls, le], [np.linspace(ls, le, 5)])
case("isnan_isinf", [la], [np.isnan(la), np.isinf(la)])

# ---- rearrangements -------------------------------------------------------------------------------------
x234 = np.arange(24.0).reshape(2, 3, 4)
case("flip", [x234], [np.flip(x234, 1), np.flip(x234), np.flip(x234, (0, -1))])
case("roll", [x234], [np.roll(x234, 2, axis=2), np.roll(x234, -5, axis=1), np.roll(x234, 7), np.roll(x234, (1, -1), axis=(0, 2))])
x23 = np.arange(6.0).reshape(2, 3)
case("tile", [x23], [np.tile(x23, 2), np.tile(x23, (2, 1, 3)), np.tile(x23, (3, 1))])
case("repeat", [x23], [np.repeat(x23, 2, axis=1), np.repeat(x23, 3), np.repeat(x23, [0, 2, 1], axis=1), np.repeat(x23, 2, axis=-2)])
x7 = np.arange(14.0).reshape(7, 2)
case("split", [x7, x234], list(np.array_split(x7, 3, axis=0)) + list(np.split(x234, [1, 3], axis=-1)) + list(np.split(x234, 3, axis=1)))
case("tril_triu", [x234], [np.tril(x234), np.tril(x234, -1), np.triu(x234, 1), np.triu(x234, -2)])
case("swapaxes_moveaxis", [x234], [np.swapaxes(x234, 0, 2), np.moveaxis(x234, 0, -1), np.moveaxis(x234, 2, 0)])

# ---- indexing and sorting ------------------------------------------------------------------------------
x53 = normal(5, 3)
idx = np.array([-1, 0, 7, -6, 2], dtype=np.int32)
wrapped = np.where(idx < 0, idx + 5, idx)
inside = (wrapped >= 0) & (wrapped < 5)
fill = np.where(inside[:, None], x53[np.where(inside, wrapped, 0)], np.nan)
w1 = np.where(idx < 0, idx + 3, idx)  # along axis 1 (size 3), fill value -7
in1 = (w1 >= 0) & (w1 < 3)
case("take_modes", [x53, idx], [fill, np.take(x53, idx, axis=0, mode="clip"), np.take(x53, idx, axis=0, mode="wrap"),
                                np.where(in1[None, :], x53[:, np.where(in1, w1, 0)], -7.0)])
ia = np.array([[0, 3], [-1, 2], [5, 1]], dtype=np.int32)  # axis 1 of a [3, 4]: 5 is out of range
x34b = normal(3, 4)
wa = np.where(ia < 0, ia + 4, ia)
ina = (wa >= 0) & (wa < 4)
case("take_along_axis_fill", [x34b, ia], [np.where(ina, np.take_along_axis(x34b, np.where(ina, wa, 0), axis=1), np.nan)])
# -0.0 precedes 0.0 in the input, so total order (hlo4j) and numpy (ties) agree; +NaN sorts last in both
xs = np.array([[3.0, -0.0, 1.0, np.nan, 0.0, 1.0, -2.0], [5.0, 5.0, -1.0, 2.0, 5.0, 0.0, 0.5]])
case("sort_nan_last", [xs], [np.sort(xs, axis=1), np.argsort(xs, axis=1, kind="stable").astype(np.int32)])  # indices i32, as JAX's
xt = np.array([[1.0, 2.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 4.0, 0.0]])
n = xt.shape[1]
desc_idx = np.stack([np.lexsort((np.arange(n), -row)) for row in xt]).astype(np.int32)  # descending, ties by first position
case("sort_descending", [xt], [np.flip(np.sort(xt, axis=1), 1), desc_idx, np.flip(np.sort(xt.T, axis=0), 0)])
# JAX's comparator ties -0.0 with 0.0 and puts every NaN last, as numpy does: 0.0 before -0.0 and -NaN before +NaN in
# the input, where IEEE total order would swap both pairs. Descending is the ascending sort reversed (argsort: of the
# reversed input, so ties keep their first position), as jnp.sort / jnp.argsort(descending=True) do.
nn = np.copysign(np.nan, -1.0)
xz = np.array([[0.0, 2.0, -0.0, nn, -1.0, np.nan, 0.0, -np.inf], [np.nan, -0.0, nn, 0.0, 1.0, -0.0, np.inf, 1.0]])
def desc_argsort(x):
    m = x.shape[1]
    return np.flip(m - 1 - np.argsort(np.flip(x, 1), axis=1, kind="stable"), 1).astype(np.int32)
case("sort_jax_order", [xz, xz.astype(np.float16)],
     [np.sort(xz, axis=1), np.argsort(xz, axis=1, kind="stable").astype(np.int32), np.flip(np.sort(xz, axis=1), 1),
      desc_argsort(xz), np.argsort(xz.astype(np.float16), axis=1, kind="stable").astype(np.int32), desc_argsort(xz.astype(np.float16))])

# ---- jax.nn -------------------------------------------------------------------------------------------
xa = np.array([-40.0, -7.0, -3.5, -1.2, -0.3, 0.4, 1.5, 2.9, 5.0, 6.5, 40.0])
softplus = np.logaddexp(xa, 0.0)
hs = np.minimum(np.maximum(xa + 3, 0), 6) / 6
elu = np.where(xa > 0, xa, np.expm1(np.minimum(xa, 0)))
case("activations", [xa], [
    -np.logaddexp(-xa, 0.0),                                     # log_sigmoid
    np.minimum(np.maximum(xa, 0), 6),                            # relu6
    hs, xa * hs,                                                 # hard_sigmoid, hard_silu
    np.clip(xa, -1, 1),                                          # hard_tanh
    np.where(xa >= 0, xa, 0.01 * xa),                            # leaky_relu
    np.where(xa > 0, xa, 0.7 * np.expm1(np.minimum(xa, 0))),     # elu(alpha=0.7)
    np.maximum(xa, 0) + 1.3 * np.expm1(np.minimum(xa, 0) / 1.3),  # celu(alpha=1.3)
    1.0507009873554804934193349852946 * np.where(xa > 0, xa, 1.6732632423543772848170429916717 * np.expm1(np.minimum(xa, 0))),
    xa * np.tanh(softplus),                                      # mish
    xa / (np.abs(xa) + 1),                                       # soft_sign
    (xa + np.sqrt(xa * xa + 4)) / 2,                             # squareplus(b=4)
    xa / (1 + np.exp(-xa)),                                      # swish
])
xg = normal(2, 6)
case("glu", [xg], [xg[:, :3] / (1 + np.exp(-xg[:, 3:])), xg.T[:3] / (1 + np.exp(-xg.T[3:]))])
xz = normal(3, 5) * 2 + 1
m = xz.mean(-1, keepdims=True)
v = (xz * xz).mean(-1, keepdims=True) - m * m      # JAX's "fast" variance, not clamped
m0 = xz.mean((0, 1), keepdims=True)
v0 = (xz * xz).mean((0, 1), keepdims=True) - m0 * m0
case("standardize", [xz], [(xz - m) / np.sqrt(v + 1e-5), (xz - m0) / np.sqrt(v0 + 1e-3)])
oh = np.array([[0, 2], [3, -1]], dtype=np.int32)
case("one_hot_axis", [oh], [(oh[None, :, :] == np.arange(3)[:, None, None]).astype(np.float32),
                            (oh[:, None, :] == np.arange(4)[None, :, None]).astype(np.float32)])
xw = normal(3, 4)
w = np.array([[True, False, True, True], [False, False, False, False], [True, True, False, True]])
def masked_softmax(x, w):
    e = np.where(w, np.exp(x - np.max(np.where(w, x, -np.inf), -1, keepdims=True, initial=-np.inf)), 0)
    s = e.sum(-1, keepdims=True)
    return np.where(w, e / np.where(s > 0, s, 1), 0)
with np.errstate(invalid="ignore", divide="ignore"):
    lse = np.log(np.sum(np.where(w, np.exp(xw), 0), -1))
    case("softmax_where", [xw, w], [masked_softmax(xw, w), np.where(w, xw - lse[:, None], -np.inf), lse])

# ---- optax losses --------------------------------------------------------------------------------------
lg = normal(4, 5) * 3
lab = rng.random((4, 5))
lab /= lab.sum(-1, keepdims=True)
def log_softmax(x, axis=-1):
    mx = x.max(axis, keepdims=True)
    return x - mx - np.log(np.exp(x - mx).sum(axis, keepdims=True))
case("softmax_cross_entropy", [lg, lab], [-(lab * log_softmax(lg)).sum(-1), -(lab * log_softmax(lg, 0)).sum(0)])
il = np.array([2, -1, 7, 0], dtype=np.int32)   # -1 counts from the end; 7 is out of range (NaN, masked below)
valid = np.array([True, True, False, True])
lse4 = np.log(np.exp(lg).sum(-1))
picked = lg[np.arange(4), np.where(il < 0, il + 5, np.where(il < 5, il, 0))]
plain = np.where(il < 5, lse4 - picked, np.nan)
case("softmax_ce_integer_labels", [lg, il, valid], [plain, np.where(valid, lse4 - picked, 0.0)])
cls_w = np.array([[True, True, False, True, True]] * 4)
lse_w = np.log(np.where(cls_w, np.exp(lg), 0).sum(-1))
il2 = np.array([1, 0, 4, 3], dtype=np.int32)
case("softmax_ce_integer_labels_class_where", [lg, il2, cls_w], [lse_w - lg[np.arange(4), il2]])
bl = np.array([-30.0, -2.0, -0.5, 0.0, 0.7, 3.0, 30.0])
by = np.array([0.0, 1.0, 0.3, 0.5, 1.0, 0.0, 1.0])
case("sigmoid_bce", [bl, by], [-by * -np.logaddexp(0, -bl) - (1 - by) * -np.logaddexp(0, bl)])
pr, tg = normal(3, 4) * 2, normal(3, 4)
err = pr - tg
ae = np.abs(err)
q = np.minimum(ae, 1.5)
case("regression_losses", [pr, tg], [err ** 2, 0.5 * err ** 2, 0.5 * q ** 2 + 1.5 * (ae - q), np.log(np.cosh(err))])
lp = log_softmax(normal(3, 4))
tgt = rng.random((3, 4))
tgt[0, 1] = 0.0
tgt /= tgt.sum(-1, keepdims=True)
with np.errstate(divide="ignore"):
    kl = (tgt * (np.where(tgt == 0, 0, np.log(tgt)) - lp)).sum(-1)
case("kl_smooth", [lp, tgt], [kl, 0.9 * tgt + 0.1 / 4])

# ---- rotary embedding (Hugging Face's LlamaRotaryEmbedding + apply_rotary_pos_emb, float64) -------------
pos = np.array([[0, 1, 2, 3, 4], [7, 8, 9, 10, 11]], dtype=np.int32)
dim, theta = 8, 10000.0
inv = 1.0 / theta ** (np.arange(0, dim, 2) / dim)
freqs = pos[..., None].astype(np.float64) * inv
emb = np.concatenate([freqs, freqs], -1)
cos, sin = np.cos(emb), np.sin(emb)
def rotate_half(x):
    return np.concatenate([-x[..., dim // 2:], x[..., :dim // 2]], -1)
qh = normal(2, 3, 5, dim)                   # [batch, heads, seq, dim]: unsqueeze_dim 1
kj = normal(2, 5, 2, dim)                   # [batch, seq, heads, dim]: unsqueeze_dim 2
q_emb = qh * cos[:, None] + rotate_half(qh) * sin[:, None]
k_emb = kj * cos[:, :, None] + rotate_half(kj) * sin[:, :, None]
deint = qh.reshape(2, 3, 5, dim // 2, 2).swapaxes(-1, -2).reshape(2, 3, 5, dim)
case("rotary", [pos, qh, kj], [cos, sin, q_emb, k_emb, deint])
scaled = 1.0 / (500000.0 ** (np.arange(0, 4, 2) / 4)) * np.array([0.25, 1.0])   # host-side scaled frequencies
femb = np.concatenate([pos[0][:, None] * scaled] * 2, -1)
case("rotary_scaled_f32", [pos], [(np.cos(femb) * 1.2).astype(np.float32), (np.sin(femb) * 1.2).astype(np.float32)])

# ---- attention masks ------------------------------------------------------------------------------------
def mask(q_len, kv_len, q_offset, allowed):
    """[q_len, kv_len] bools, element by element: query row t sits at position q_idx = t + q_offset."""
    out = np.zeros((q_len, kv_len), dtype=bool)
    for t in range(q_len):
        for kv_idx in range(kv_len):
            out[t, kv_idx] = allowed(t + q_offset, kv_idx)
    return out
def causal(q, kv):
    return kv <= q
def sliding(window):  # Hugging Face's rule for Mistral's sliding_window, with causal
    return lambda q, kv: causal(q, kv) and kv > q - window
def local(left, right):  # dot_product_attention's local_window_size=(left, right)
    return lambda q, kv: q - left <= kv <= q + right
am = np.array([[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=np.int32)
lens = np.array([2, 5], dtype=np.int32)
case("masks", [am, lens], [mask(3, 5, 0, causal), mask(3, 5, 2, causal), mask(4, 6, 2, sliding(3)), mask(4, 6, 0, local(1, 1)),
                           (am != 0)[:, None, None, :], (np.arange(6)[None, :] < lens[:, None])[:, None, None, :]])

# ---- narrow index types on axes longer than they hold (no rng: the cases above stay as they are) ----------
x300 = np.arange(300.0) * 1.5 + 1
i8 = np.array([-128, -1, 0, 5, 127, -100], dtype=np.int8)
u8 = np.array([0, 199, 200, 255, 7], dtype=np.uint8)
x200 = x300[:200]
def fill_take(x, i):
    w = np.where(i < 0, i.astype(np.int64) + len(x), i)
    return np.where((w >= 0) & (w < len(x)), x[np.clip(w, 0, len(x) - 1)], np.nan)
case("take_narrow_indices", [x200, i8, u8], [fill_take(x200, i8), np.take(x200, i8, mode="clip"), np.take(x200, i8, mode="wrap"),
                                              fill_take(x200, u8), np.take(x200, u8, mode="clip"), np.take(x200, u8, mode="wrap")])
i8a = i8.reshape(1, 6)
x2 = np.stack([x200, -x200])
along_clip = np.take_along_axis(x2, np.clip(np.where(i8a < 0, i8a.astype(np.int64) + 200, i8a), 0, 199).repeat(2, 0), axis=1)
case("take_along_axis_narrow_clip_wrap", [x2, i8a.repeat(2, 0)], [along_clip, np.take_along_axis(x2, np.mod(i8a.astype(np.int64), 200).repeat(2, 0), axis=1)])

with open(os.path.join(OUT, "cases.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(lines)} cases to {OUT}")
