package io.hlo4j.dsl.moe.models;

import io.hlo4j.dsl.Linalg;
import io.hlo4j.dsl.Tensor;

import java.util.function.BinaryOperator;

/**
 * A dense gated MLP beside the routed experts (Qwen2-MoE's shared_expert, DeepSeek-V3's shared_experts):
 * down(act(gate(x)) * up(x)) with kernels wi, wu [H, M] and wd [M, H]; public for a user's own block beside
 * {@code BaseMoeModule.moeCall} (docs/examples/SharedExpertMoe.java).
 */
public record SharedExpertMlp(Tensor wi, Tensor wu, Tensor wd) {
    /**
     * {@code x} [N, H] tokens -> [N, H]; {@code act(a, b)} combines the two projections, e.g.
     * {@code BaseMoeModule.activation(config, null, null)} (silu(a) * b); the kernels are cast to x's dtype.
     */
    public Tensor apply(Tensor x, BinaryOperator<Tensor> act) {
        Tensor a = Linalg.matmul(x, wi.astype(x.dtype())), b = Linalg.matmul(x, wu.astype(x.dtype()));
        return Linalg.matmul(act.apply(a, b), wd.astype(x.dtype()));
    }
}
