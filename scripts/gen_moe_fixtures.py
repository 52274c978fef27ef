#!/usr/bin/env python3
"""Writes the golden MoE fixtures under dsl/src/test/resources/moe/ from scripts/moe_reference.py.

Design (documented in docs/moe.md): the full product of the factors below has ~10^6 cases, so the grid is a
pairwise-covering design - every pair of levels of any two factors occurs in at least one case - built by a
deterministic greedy search, plus the worked example of easydel-moe-behavior.md 5.3 as case "worked_example".
Small H and M keep the committed size small. Each case is a directory laid out like the `hlo4j moe run`
weights directory (gate.npy, wi.npy, ... , x.npy, token_ids.npy) plus config.json (issue 5's snake_case keys)
and the expected results (output.npy, router_logits.npy, router_probs.npy, selected_experts.npy,
selected_weights.npy, expert_loads.npy, metrics.json). index.json lists the cases and their factor levels.

Each case's selection is checked to be robust, otherwise the case is regenerated with the next seed. float32
cases: the experts chosen from an f32 softmax of f32 logits must be those chosen from the f64 oracle. bfloat16
cases (bf16 logits, see moe_reference.gate_logits): an exact sum rounded to bf16 must give the same logits (a
guard against sums near a bf16 boundary, not a proof for every order of the f32 sum), and the bf16-rounded f64 softmax of those logits
must select as the bf16-rounded f32 softmax did.

Usage: python3 scripts/gen_moe_fixtures.py [OUT_DIR]   (numpy only; deterministic)
"""
import itertools
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import moe_reference as ref  # noqa: E402

HIDDEN = 8
INTERMEDIATE = 16
LBL_COEF = 0.01
RZL_COEF = 0.001

FACTORS = {
    "routing": list(ref.ROUTING),
    "load_balancing": list(ref.LOAD_BALANCING),
    "k": [1, 2, 4],
    "experts": [4, 8, 16],
    "bias": [False, True],
    "act": list(ref.ACTIVATIONS),
    "tokens": [(1, 1), (1, 7), (3, 5), (4, 16), (8, 64)],  # (B, S): B*S = 1, 7, 15, 64, 512
    "ties": ["none", "gate_columns", "duplicate_tokens"],
    "dtype": ["float32", "bfloat16"],
    "coefs": ["set", "unset"],
    "hash_ids": ["positions", "token_ids"],
    "capacity_factor": [None, 0.5, 2.0],
}


def pairwise_design(factors, seed=1234, candidates=60):
    """Greedy pairwise covering: add the random candidate covering most uncovered pairs until none remain."""
    names = list(factors)
    uncovered = set()
    for a, b in itertools.combinations(range(len(names)), 2):
        for i in range(len(factors[names[a]])):
            for j in range(len(factors[names[b]])):
                uncovered.add((a, i, b, j))
    rng = np.random.default_rng(seed)
    rows = []
    while uncovered:
        # seed the candidate set with one row that covers a chosen uncovered pair, so progress is guaranteed
        a, i, b, j = min(uncovered)
        best, best_gain = None, -1
        for c in range(candidates):
            row = [int(rng.integers(len(factors[n]))) for n in names]
            if c == 0:
                row[a], row[b] = i, j
            gain = sum(1 for x, y in itertools.combinations(range(len(names)), 2)
                       if (x, row[x], y, row[y]) in uncovered)
            if gain > best_gain:
                best, best_gain = row, gain
        rows.append(best)
        for x, y in itertools.combinations(range(len(names)), 2):
            uncovered.discard((x, best[x], y, best[y]))
    return [{n: factors[n][r[idx]] for idx, n in enumerate(names)} for r in rows]


def f32(a):
    return np.asarray(a, dtype=np.float32)


def make_inputs(levels, seed):
    rng = np.random.default_rng(seed)
    b, s = levels["tokens"]
    e, h, m = levels["experts"], HIDDEN, INTERMEDIATE
    x = f32(rng.standard_normal((b, s, h)))
    gate = f32(rng.standard_normal((h, e)) * 2.0 / np.sqrt(h))
    if levels["ties"] == "gate_columns":  # experts 0 and 1 (and 2 and E-1) score equally for every token
        gate[:, 1] = gate[:, 0]
        gate[:, e - 1] = gate[:, 2]
    if levels["ties"] == "duplicate_tokens":  # every odd token repeats its predecessor
        xf = x.reshape(b * s, h)
        xf[1::2] = xf[0:(b * s) // 2 * 2:2]
        x = xf.reshape(b, s, h)
    w = {
        "x": x, "gate": gate,
        "wi": f32(rng.standard_normal((e, h, m)) / np.sqrt(h)),
        "wu": f32(rng.standard_normal((e, h, m)) / np.sqrt(h)),
        "wd": f32(rng.standard_normal((e, m, h)) / np.sqrt(m)),
    }
    if levels["bias"]:
        w["wi_bias"] = f32(rng.standard_normal((e, m)) * 0.1)
        w["wu_bias"] = f32(rng.standard_normal((e, m)) * 0.1)
        w["wd_bias"] = f32(rng.standard_normal((e, h)) * 0.1)
    if levels["hash_ids"] == "token_ids":
        w["token_ids"] = rng.integers(0, 50000, size=(b, s)).astype(np.int32)
    return w


def config_of(levels):
    coefs = levels["coefs"] == "set"
    return {
        "n_routed_experts": levels["experts"],
        "num_experts_per_tok": levels["k"],
        "hidden_size": HIDDEN,
        "moe_intermediate_size": INTERMEDIATE,
        "routing_strategy": levels["routing"],
        "load_balancing_strategy": levels["load_balancing"],
        "lbl_coef": LBL_COEF if coefs else None,
        "rzl_coef": RZL_COEF if coefs else None,
        "capacity_factor": levels["capacity_factor"],
        "moe_method": "fused_moe",
        "dtype": levels["dtype"],
        "hidden_act": levels["act"],
        "use_expert_tensor_mode": False,
        "fsdp_is_ep_bound": True,
        "sp_is_ep_bound": True,
    }


def run_oracle(w, cfg):
    return ref.moe_forward(
        w["x"].astype(np.float64), w["gate"].astype(np.float64), w["wi"].astype(np.float64),
        w["wu"].astype(np.float64), w["wd"].astype(np.float64), k=cfg["num_experts_per_tok"],
        routing=cfg["routing_strategy"], load_balancing=cfg["load_balancing_strategy"], act=cfg["hidden_act"],
        lbl_coef=cfg["lbl_coef"], rzl_coef=cfg["rzl_coef"], capacity_factor=cfg["capacity_factor"],
        dtype=cfg["dtype"],
        wi_b=None if "wi_bias" not in w else w["wi_bias"].astype(np.float64),
        wu_b=None if "wu_bias" not in w else w["wu_bias"].astype(np.float64),
        wd_b=None if "wd_bias" not in w else w["wd_bias"].astype(np.float64),
        token_ids=w.get("token_ids"))


def selection_is_robust(w, cfg, result):
    """Would an implementation that rounds or sums a little differently select exactly what the oracle selected?"""
    b, s, h = w["x"].shape
    xf = w["x"].reshape(b * s, h)
    if cfg["dtype"] == "bfloat16":
        # a guard against sums near a bf16 boundary: the exact sum must round to the same bf16 values
        exact = ref.bf16_round(ref.bf16_round(xf).astype(np.float64) @ ref.bf16_round(w["gate"]).astype(np.float64))
        if not np.array_equal(exact.astype(np.float64), result["router_logits"]):
            return False
        scores = ref.bf16_round(ref.softmax64(result["router_logits"]))  # an f64 softmax instead of the f32 one
    else:
        scores = ref.softmax32(xf @ w["gate"])  # f32 logits (float32 matmul), f32 softmax
    return np.array_equal(select(w, cfg, scores), result["selected_experts"])


def select(w, cfg, scores):
    b, s, _ = w["x"].shape
    positions = np.tile(np.arange(s), b)
    ids = None if "token_ids" not in w else w["token_ids"].reshape(-1)
    experts, _, _ = ref.route(np.asarray(scores, dtype=np.float64), cfg["routing_strategy"],
                              cfg["num_experts_per_tok"], cfg["capacity_factor"], positions, ids)
    return experts


def f32_logit_selection(w, cfg):
    """The bf16 selection as hlo4j made it before the gate ran in bf16: f32 logits, f32 softmax, bf16 rounding."""
    b, s, h = w["x"].shape
    logits = w["x"].reshape(b * s, h).astype(np.float64) @ w["gate"].astype(np.float64)
    return select(w, cfg, ref.bf16_round(ref.softmax32(logits)))


def write_case(out_dir, name, w, cfg, result, levels):
    d = os.path.join(out_dir, name)
    os.makedirs(d)
    for key, arr in w.items():
        np.save(os.path.join(d, key + ".npy"), arr)
    np.save(os.path.join(d, "output.npy"), result["output"])
    np.save(os.path.join(d, "router_logits.npy"), result["router_logits"])
    np.save(os.path.join(d, "router_probs.npy"), result["router_probs"])
    if cfg["dtype"] == "bfloat16":
        np.save(os.path.join(d, "selection_scores.npy"), result["selection_scores"].astype(np.float32))
    np.save(os.path.join(d, "selected_experts.npy"), result["selected_experts"].astype(np.int64))
    np.save(os.path.join(d, "selected_weights.npy"), result["selected_weights"])
    np.save(os.path.join(d, "expert_loads.npy"), result["expert_loads"].astype(np.int64))
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
        f.write("\n")
    metrics = {key: result[key] for key in
               ("load_balancing_loss", "router_z_loss", "expert_utilization", "routing_entropy", "k_used")}
    with open(os.path.join(d, "metrics.json"), "w") as f:
        json.dump(metrics, f, indent=1)
        f.write("\n")
    return {"name": name, "levels": {k: (list(v) if isinstance(v, tuple) else v) for k, v in levels.items()}}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "dsl/src/test/resources/moe")
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    cases = []

    x, gate, wi, wu, wd = ref.worked_example()
    we = {"x": f32(x), "gate": f32(gate), "wi": f32(wi), "wu": f32(wu), "wd": f32(wd)}
    we_levels = {"routing": "top_k", "load_balancing": "standard", "k": 2, "experts": 4, "bias": False,
                 "act": "silu", "tokens": (1, 3), "ties": "none", "dtype": "float32", "coefs": "set",
                 "hash_ids": "positions", "capacity_factor": None}
    we_cfg = config_of(we_levels) | {"hidden_size": 4, "moe_intermediate_size": 2, "lbl_coef": 1.0,
                                     "rzl_coef": 1.0}
    cases.append(write_case(out_dir, "worked_example", we, we_cfg, run_oracle(we, we_cfg), we_levels))

    design = pairwise_design(FACTORS)
    for i, levels in enumerate(design):
        cfg = config_of(levels)
        for attempt in range(50):
            seed = 1000 * i + attempt
            w = make_inputs(levels, seed)
            result = run_oracle(w, cfg)
            if selection_is_robust(w, cfg, result):
                break
        else:
            raise SystemExit(f"case {i}: no robust seed found for {levels}")
        b, s = levels["tokens"]
        name = (f"c{i:02d}_{levels['routing']}_{levels['load_balancing']}_k{levels['k']}_e{levels['experts']}"
                f"_n{b * s}")
        entry = write_case(out_dir, name, w, cfg, result, levels)
        entry["seed"] = seed
        if cfg["dtype"] == "bfloat16":  # does bf16 rounding change the choice (the f32 oracle's would differ)?
            f32_cfg = dict(cfg, dtype="float32")
            entry["bf16_selection_differs_from_f32"] = not np.array_equal(
                run_oracle(w, f32_cfg)["selected_experts"], result["selected_experts"])
            # would a gate on the f32 hidden state (f32 logits, then the bf16-rounded softmax) choose differently?
            entry["bf16_logits_change_selection"] = not np.array_equal(
                f32_logit_selection(w, cfg), result["selected_experts"])
        cases.append(entry)

    index = {
        "generator": "scripts/gen_moe_fixtures.py (oracle: scripts/moe_reference.py)",
        "design": "pairwise covering over the factors below (every pair of levels of any two factors occurs in "
                  "at least one case) plus the worked example of easydel-moe-behavior.md 5.3",
        "hidden_size": HIDDEN, "moe_intermediate_size": INTERMEDIATE,
        "unused_slot": ref.UNUSED,
        "factors": {k: [list(v) if isinstance(v, tuple) else v for v in vs] for k, vs in FACTORS.items()},
        "cases": cases,
    }
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(out_dir) for fn in fns)
    print(f"wrote {len(cases)} cases, {total / 1e6:.2f} MB, to {out_dir}")


if __name__ == "__main__":
    main()
