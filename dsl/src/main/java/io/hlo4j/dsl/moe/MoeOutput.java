package io.hlo4j.dsl.moe;

import io.hlo4j.dsl.Tensor;

import java.util.Optional;

/** What {@code moeCall} returns: the output [B, S, H], the router logits [N, E] and, when asked for, the metrics. */
public record MoeOutput(Tensor output, Tensor routerLogits, Optional<MoeMetrics<Tensor>> metrics) {}
