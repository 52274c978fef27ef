package io.hlo4j.compiler.ad;

/**
 * Marks an op whose operands get no cotangent: integer and boolean ops, comparisons, iota, random bits,
 * piecewise-constant math (floor, sign, round...). Attached like a rule; {@code reason} says which of these.
 */
public record NonDifferentiable(String reason) {}
