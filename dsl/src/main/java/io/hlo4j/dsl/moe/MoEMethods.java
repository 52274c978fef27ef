package io.hlo4j.dsl.moe;

/**
 * How a MoE layer executes; all three compute the same function (moe-semantics.md, Execution methods).
 */
public enum MoEMethods {
    FUSED_MOE("fused_moe"),
    STANDARD_MOE("standard_moe"),
    DENSE_MOE("dense_moe");

    private final String value;

    MoEMethods(String value) {
        this.value = value;
    }

    /** The string the seed and EasyDeL use (config files, CLI flags). */
    public String value() { return value; }

    /**
     * The member whose {@link #value()} is {@code value};
     * an unknown string is an error naming it and the choices.
     */
    public static MoEMethods fromValue(String value) {
        for (MoEMethods m : values()) {
            if (m.value.equals(value)) return m;
        }
        throw new MoeException("MoEMethods: unknown value '" + value + "' (expected one of "
                + MoeEnums.valueList(values()) + ")");
    }

    @Override
    public String toString() { return value; }
}
