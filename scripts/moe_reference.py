#!/usr/bin/env python3
"""Independent numpy (f64) oracle for hlo4j's MoE semantics.

Normative source: shared/reference/moe-semantics.md. Everything here is computed per token and per
(token, expert) pair, densely, with no sorting or grouped matmul, so it checks the Java grouped paths from
a different angle. Run directly for the self-test (the worked example of easydel-moe-behavior.md section 5.3).

Precision model:
  * dtype "float32": the oracle computes in f64; Java (f32) must select the same experts (the fixture
    generator rejects cases where f32 and f64 softmax would select differently) and match values to 1e-5.
  * dtype "bfloat16": the gate follows EasyDeL's FUSED path (the hidden state is cast to the compute dtype
    before the gate): logits = bf16(sum over h of bf16(x)[t, h] * bf16(K)[h, e]), the products (exact in
    f32) summed in f32 in ascending h and the sum rounded to bf16 once (`gate_logits`). Probabilities are
    the f32 softmax (numpy float32 arithmetic) of those logits, rounded to bf16 (round to nearest even)
    before selection, as the normative page says; the reported probabilities, losses and metrics use the
    f64 softmax of the same bf16 logits, the z-loss their f64 logsumexp. The weights are the bf16 scores
    (renormalized in f64 for TOP_K); the expert FFN stays f64 on the unrounded inputs - an oracle for
    "within bf16 tolerance", not a bit-exact bf16 model.
"""
import math

import numpy as np

ROUTING = ("top_k", "top_k_ndiv", "switch", "expert_choice", "hash")
LOAD_BALANCING = ("standard", "switch_transformer", "expert_choice", "none")
ACTIVATIONS = ("silu", "gelu", "gelu_pytorch_tanh", "relu")
UNUSED = -1  # marks an empty slot in the token-major view of expert-choice selections

_erf = np.vectorize(math.erf, otypes=[np.float64])


# ---------------------------------------------------------------- numerics helpers

def bf16_round(a):
    """Round to the nearest bfloat16 (ties to even), returned as float32 values."""
    f = np.ascontiguousarray(a, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return rounded.view(np.float32)


def softmax64(logits):
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax32(logits):
    """Softmax in float32 arithmetic throughout (the 'compute in f32' of the normative page)."""
    l32 = logits.astype(np.float32)
    z = l32 - l32.max(axis=-1, keepdims=True)
    e = np.exp(z, dtype=np.float32)
    return (e / e.sum(axis=-1, keepdims=True, dtype=np.float32)).astype(np.float32)


def gate_logits(xf, gate, dtype):
    """Logits [N, E] of the bias-free linear gate x @ K in the layer's compute dtype.

    float32: f64 (the oracle). bfloat16: x and K rounded to bf16, each product (exact in f32: 8 x 8
    significant bits) added to an f32 accumulator in ascending h, the sum rounded to bf16 once; returned
    as f64 values.
    """
    if dtype == "float32":
        return xf @ gate
    if dtype != "bfloat16":
        raise ValueError(f"unknown dtype {dtype!r}")
    xb, kb = bf16_round(xf), bf16_round(gate)
    acc = np.zeros((xb.shape[0], kb.shape[1]), dtype=np.float32)
    for h in range(xb.shape[1]):
        acc = acc + xb[:, h:h + 1] * kb[h:h + 1, :]
    return bf16_round(acc).astype(np.float64)


def logsumexp64(logits):
    m = logits.max(axis=-1)
    return m + np.log(np.exp(logits - m[:, None]).sum(axis=-1))


def activation(name, a):
    if name == "silu":
        return a / (1.0 + np.exp(-a))
    if name == "gelu":  # Hugging Face "gelu": the exact erf form
        return 0.5 * a * (1.0 + _erf(a / math.sqrt(2.0)))
    if name == "gelu_pytorch_tanh":
        return 0.5 * a * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (a + 0.044715 * a ** 3)))
    if name == "relu":
        return np.maximum(a, 0.0)
    raise ValueError(f"unknown hidden_act {name!r}")


def top_k_lower_index(scores, k):
    """Indices of the k largest per row, descending; equal values: the lower index first."""
    order = np.argsort(-scores, axis=-1, kind="stable")[:, :k]
    return order, np.take_along_axis(scores, order, axis=-1)


# ---------------------------------------------------------------- routing

def route(probs, strategy, k, capacity_factor=None, positions=None, token_ids=None):
    """Selection and default weights of a strategy (no user hooks).

    Returns (experts [N, slots] int64, weights [N, slots] f64, k_used). slots = k (1 for SWITCH; E for
    EXPERT_CHOICE, whose token-major view lists the experts that chose the token in ascending expert order
    and marks unused slots with UNUSED and weight 0).
    """
    n, e_count = probs.shape
    if k < 1 or k > e_count:
        raise ValueError(f"k={k} must lie in 1..E={e_count}")
    if strategy in ("top_k", "top_k_ndiv"):
        idx, w = top_k_lower_index(probs, k)
        w = w.astype(np.float64)
        if strategy == "top_k" and k > 1:
            w = w / np.maximum(w.sum(axis=-1, keepdims=True), 1e-8)
        return idx, w, k
    if strategy == "switch":
        idx, _ = top_k_lower_index(probs, 1)
        return idx, np.ones((n, 1)), 1
    if strategy == "expert_choice":
        cf = 1.0 if capacity_factor is None else capacity_factor
        cap = min(n, math.ceil(cf * n * k / e_count))
        chosen = np.zeros((n, e_count), dtype=bool)
        for e in range(e_count):
            tokens = np.argsort(-probs[:, e], kind="stable")[:cap]  # ties: lower token index
            chosen[tokens, e] = True
        experts = np.full((n, e_count), UNUSED, dtype=np.int64)
        weights = np.zeros((n, e_count))
        for t in range(n):
            ids = np.nonzero(chosen[t])[0]
            experts[t, :len(ids)] = ids
            weights[t, :len(ids)] = 1.0 / k
        return experts, weights, k
    if strategy == "hash":
        h = (token_ids if token_ids is not None else positions).astype(np.int64)
        idx = (h[:, None] + np.arange(k)[None, :]) % e_count
        return idx, np.full((n, k), 1.0 / k), k
    raise ValueError(f"unknown routing strategy {strategy!r}")


def expert_loads(experts, e_count):
    used = experts[experts != UNUSED]
    return np.bincount(used, minlength=e_count).astype(np.int64)


# ---------------------------------------------------------------- expert FFN and combine

def expert_ffn(x, e, wi, wu, wd, act, wi_b=None, wu_b=None, wd_b=None):
    a = x @ wi[e] + (wi_b[e] if wi_b is not None else 0.0)
    b = x @ wu[e] + (wu_b[e] if wu_b is not None else 0.0)
    h = activation(act, a) * b
    return h @ wd[e] + (wd_b[e] if wd_b is not None else 0.0)


def combine(xf, experts, weights, wi, wu, wd, act, wi_b=None, wu_b=None, wd_b=None):
    out = np.zeros((xf.shape[0], wd.shape[2]))
    for t in range(xf.shape[0]):
        for j in range(experts.shape[1]):
            e = experts[t, j]
            if e == UNUSED:
                continue
            out[t] += weights[t, j] * expert_ffn(xf[t], e, wi, wu, wd, act, wi_b, wu_b, wd_b)
    return out


# ---------------------------------------------------------------- losses and metrics

def load_balancing_loss(strategy, coef, probs, experts, loads, k_used):
    """The normative formulas; None for NONE or an unset coefficient."""
    if strategy == "none" or coef is None:
        return None
    n, e_count = probs.shape
    p_mean = probs.mean(axis=0)
    if strategy == "standard":
        f = loads / (n * k_used)
        return coef * e_count * float((f * p_mean).sum())
    if strategy == "switch_transformer":
        first = experts[:, 0]
        first = first[first != UNUSED]  # expert choice: tokens no expert chose have no first choice
        f1 = np.bincount(first, minlength=e_count) / n
        return coef * e_count * float((f1 * p_mean).sum())
    if strategy == "expert_choice":
        return coef * float(np.var(loads.astype(np.float64))) * e_count / (n * k_used)
    raise ValueError(f"unknown load-balancing strategy {strategy!r}")


def router_z_loss(coef, logits):
    if coef is None:
        return None
    return coef * float((logsumexp64(logits) ** 2).mean())


def routing_entropy(probs):
    return float((-(probs * np.log(probs + 1e-8)).sum(axis=-1)).mean())


def easydel_losses(probs, loads, k, coef=1.0):
    """EasyDeL's raw-count formulas (behaviour doc section 3.1), only to check the worked example."""
    n, e_count = probs.shape
    p_mean = probs.mean(axis=0)
    return {
        "standard": coef * float(((loads * e_count / k) * p_mean).sum()),
        "switch_transformer": coef * e_count * float(((loads / n) * p_mean).sum()),
        "expert_choice": coef * float(np.var(loads.astype(np.float64))),
    }


# ---------------------------------------------------------------- the whole layer

def moe_forward(x, gate, wi, wu, wd, *, k, routing="top_k", load_balancing="standard", act="silu",
                lbl_coef=None, rzl_coef=None, capacity_factor=None, dtype="float32",
                wi_b=None, wu_b=None, wd_b=None, token_ids=None):
    """x [B, S, H] -> dict with output [B, S, H] and every MoeMetrics field (numpy f64 / int64)."""
    b, s, hid = x.shape
    xf = x.reshape(b * s, hid).astype(np.float64)
    logits = gate_logits(xf, gate.astype(np.float64), dtype)
    probs = softmax64(logits)
    select_on = probs if dtype == "float32" else bf16_round(softmax32(logits)).astype(np.float64)
    positions = np.tile(np.arange(s), b)
    ids = None if token_ids is None else np.asarray(token_ids).reshape(b * s)
    experts, weights, k_used = route(select_on, routing, k, capacity_factor, positions, ids)
    loads = expert_loads(experts, gate.shape[1])
    out = combine(xf, experts, weights, wi, wu, wd, act, wi_b, wu_b, wd_b)
    return {
        "output": out.reshape(b, s, wd.shape[2]),
        "router_logits": logits,
        "router_probs": probs,
        "selection_scores": select_on,
        "selected_experts": experts,
        "selected_weights": weights,
        "expert_loads": loads,
        "k_used": k_used,
        "load_balancing_loss": load_balancing_loss(load_balancing, lbl_coef, probs, experts, loads, k_used),
        "router_z_loss": router_z_loss(rzl_coef, logits),
        "expert_utilization": float((loads > 0).mean()),
        "routing_entropy": routing_entropy(probs),
    }


def sorted_rows(experts):
    """Token-major flat ids, stable sort order and group sizes (what the grouped paths compute)."""
    flat = experts.reshape(-1)
    order = np.argsort(flat, kind="stable")
    return flat, order, flat[order]


# ---------------------------------------------------------------- self-test: behaviour doc section 5.3

def worked_example():
    x = (np.arange(12).reshape(1, 3, 4) - 5) / 2
    gate = (np.arange(16).reshape(4, 4) % 5 - 2) / 4
    wi = (np.arange(32).reshape(4, 4, 2) % 7 - 3) / 8
    wu = (np.arange(32).reshape(4, 4, 2) % 5 - 2) / 8
    wd = (np.arange(32).reshape(4, 2, 4) % 3 - 1).astype(np.float64)
    return x, gate, wi, wu, wd


def _close(name, got, want, tol=1.5e-6):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape or not np.allclose(got, want, rtol=0, atol=tol):
        raise AssertionError(f"{name}: got {got.tolist()} want {want.tolist()}")


def self_test():
    x, gate, wi, wu, wd = worked_example()
    r = moe_forward(x, gate, wi, wu, wd, k=2, routing="top_k", load_balancing="standard",
                    lbl_coef=1.0, rzl_coef=1.0)
    _close("logits", r["router_logits"], [[-0.125, 0.625, 0.75, 0.25], [0.375, 0.625, 0.25, -0.75],
                                          [0.875, 0.625, -0.25, -1.75]])
    _close("probs", r["router_probs"], [[0.143454, 0.303693, 0.344129, 0.208725],
                                        [0.286437, 0.367792, 0.252779, 0.092992],
                                        [0.459581, 0.357922, 0.149204, 0.033292]], 1e-6)
    _close("top-k idx", r["selected_experts"], [[2, 1], [1, 0], [0, 1]], 0)
    _close("weights", r["selected_weights"], [[0.531209, 0.468791], [0.562177, 0.437823],
                                              [0.562177, 0.437824]])
    flat, order, sorted_ids = sorted_rows(r["selected_experts"])
    _close("flat ids", flat, [2, 1, 1, 0, 0, 1], 0)
    _close("sort order", order, [3, 4, 1, 2, 5, 0], 0)
    _close("group sizes", r["expert_loads"], [2, 3, 1, 0], 0)
    _close("sorted experts", sorted_ids, [0, 0, 1, 1, 1, 2], 0)
    _close("output", r["output"], [[[-0.051787, 0.010314, 0.041473, -0.051787],
                                    [-0.028456, 0.007780, 0.020676, -0.028456],
                                    [-0.001475, 0.130720, -0.129245, -0.001475]]])
    ndiv = moe_forward(x, gate, wi, wu, wd, k=2, routing="top_k_ndiv")
    _close("ndiv output", ndiv["output"], [[[-0.033549, 0.006682, 0.026867, -0.033549],
                                            [-0.018617, 0.005090, 0.013527, -0.018617],
                                            [-0.001206, 0.106864, -0.105658, -0.001206]]])
    # The doc's loss numbers are EasyDeL's raw-count formulas; the normative ones differ by fixed factors.
    ez = easydel_losses(r["router_probs"], r["expert_loads"], 2)
    _close("easydel standard", ez["standard"], 3.742184, 1e-5)
    _close("easydel switch", ez["switch_transformer"], 2.494790, 1e-5)
    _close("easydel expert_choice", ez["expert_choice"], 1.25, 1e-12)
    n, e_count, k = 3, 4, 2
    _close("normative standard = easydel / N", r["load_balancing_loss"], ez["standard"] / n, 1e-12)
    ec = load_balancing_loss("expert_choice", 1.0, r["router_probs"], r["selected_experts"],
                             r["expert_loads"], k)
    _close("normative expert_choice = var * E / (N k)", ec, 1.25 * e_count / (n * k), 1e-12)
    sw = load_balancing_loss("switch_transformer", 1.0, r["router_probs"], r["selected_experts"],
                             r["expert_loads"], k)
    p_mean = r["router_probs"].mean(axis=0)  # first choices 2, 1, 0 -> one third each
    _close("normative switch", sw, e_count * (p_mean[0] + p_mean[1] + p_mean[2]) / 3, 1e-12)
    _close("z-loss", r["router_z_loss"], 2.890832, 1e-6)
    _close("utilization", r["expert_utilization"], 0.75, 0)
    _close("entropy", r["routing_entropy"], 1.250419, 1e-6)
    # Strategy spot checks by hand on the same probabilities.
    sw_r = moe_forward(x, gate, wi, wu, wd, k=2, routing="switch")
    _close("switch experts", sw_r["selected_experts"], [[2], [1], [0]], 0)
    _close("switch weights", sw_r["selected_weights"], [[1.0], [1.0], [1.0]], 0)
    hs = moe_forward(x, gate, wi, wu, wd, k=2, routing="hash")
    _close("hash by position", hs["selected_experts"], [[0, 1], [1, 2], [2, 3]], 0)
    hs_ids = moe_forward(x, gate, wi, wu, wd, k=2, routing="hash", token_ids=np.array([[7, 2, 4]]))
    _close("hash by id", hs_ids["selected_experts"], [[3, 0], [2, 3], [0, 1]], 0)
    # expert choice, c = ceil(1.0 * 3 * 2 / 4) = 2: e0 takes tokens 2,1; e1 1,2; e2 0,1; e3 0,1.
    ecr = moe_forward(x, gate, wi, wu, wd, k=2, routing="expert_choice")
    _close("expert choice experts", ecr["selected_experts"], [[2, 3, -1, -1], [0, 1, 2, 3], [0, 1, -1, -1]], 0)
    _close("expert choice loads", ecr["expert_loads"], [2, 2, 2, 2], 0)
    # capacity_factor 0.5: c = ceil(0.5 * 3 * 2 / 4) = 1, each expert its single best token
    ec_half = moe_forward(x, gate, wi, wu, wd, k=2, routing="expert_choice", capacity_factor=0.5)
    _close("expert choice cf 0.5", ec_half["selected_experts"], [[2, 3, -1, -1], [1, -1, -1, -1], [0, -1, -1, -1]], 0)
    _close("expert choice weights 1/k", ec_half["selected_weights"][0], [0.5, 0.5, 0, 0], 0)
    # perfect balance: STANDARD and SWITCH_TRANSFORMER equal lbl_coef, EXPERT_CHOICE is 0
    uniform = np.full((4, 4), 0.25)
    balanced = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
    loads = expert_loads(balanced, 4)
    _close("standard at balance", load_balancing_loss("standard", 0.3, uniform, balanced, loads, 2), 0.3, 1e-15)
    _close("switch at balance", load_balancing_loss("switch_transformer", 0.3, uniform, balanced, loads, 2), 0.3, 1e-15)
    _close("expert_choice at balance", load_balancing_loss("expert_choice", 0.3, uniform, balanced, loads, 2), 0.0, 0)
    assert load_balancing_loss("none", 0.3, uniform, balanced, loads, 2) is None
    assert load_balancing_loss("standard", None, uniform, balanced, loads, 2) is None
    # ties: two equal columns -> the lower expert index first
    tied = np.array([[0.5, 0.5, 0.1, 0.5]])
    idx, _ = top_k_lower_index(tied, 2)
    _close("tie to lower index", idx, [[0, 1]], 0)
    _close("bf16 rounding", bf16_round(np.array([1.0 + 2 ** -8, 1.0 + 3 * 2 ** -8, 0.1])),
           [1.0, 1.0 + 2 ** -6, 0.10009765625], 0)
    # the bf16 gate: inputs rounded to bf16, products summed in f32, the sum rounded to bf16 once.
    # x [1 + 2^-9, 3] rounds to [1, 3]; 1 * 1 + 3 * (1 + 2^-7) = 4.0234375 rounds to 4.03125 (bf16 step 2^-5 at 4)
    _close("bf16 gate rounding", gate_logits(np.array([[1 + 2 ** -9, 3.0]]), np.array([[1.0], [1 + 2 ** -7]]),
                                             "bfloat16"), [[4.03125]], 0)
    # products 1, 2^-8, 2^-24, 2^-24: in f32 each 2^-24 is half an ulp of 1 + 2^-8 and rounds away (ties to
    # even), and 1 + 2^-8 then ties to 1.0 in bf16; the exact sum 1 + 2^-8 + 2^-23 would round up to 1 + 2^-7
    _close("bf16 gate sums in f32", gate_logits(np.array([[1.0, 1.0, 2 ** -12, 2 ** -12]]),
                                                np.array([[1.0], [2 ** -8], [2 ** -12], [2 ** -12]]), "bfloat16"),
           [[1.0]], 0)
    print("moe_reference self-test: OK (worked example of easydel-moe-behavior.md 5.3 reproduced)")


if __name__ == "__main__":
    self_test()
