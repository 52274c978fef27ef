package io.hlo4j.mlir.registry;

/** Facts about an op that generic passes rely on. */
public enum OpTrait {
    TERMINATOR,
    ELEMENTWISE,
    /** Every operand and result has the same type. */
    SAME_OPERANDS_AND_RESULT_TYPE,
    HAS_SIDE_EFFECT,
    /** Regions cannot see values from outside (func.func). */
    ISOLATED_FROM_ABOVE,
    SYMBOL,
    COLLECTIVE,
    COMMUTATIVE
}
