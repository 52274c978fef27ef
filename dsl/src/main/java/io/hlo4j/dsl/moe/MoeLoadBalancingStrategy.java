package io.hlo4j.dsl.moe;

/**
 * The auxiliary load-balancing loss (moe-semantics.md, Losses and metrics). EasyDeL misspells EXPERT_CHOICE as
 * EMPTY_CHOICE; the value is the same.
 */
public enum MoeLoadBalancingStrategy {
    STANDARD("standard"),
    SWITCH_TRANSFORMER("switch_transformer"),
    EXPERT_CHOICE("expert_choice"),
    NONE("none");

    private final String value;

    MoeLoadBalancingStrategy(String value) {
        this.value = value;
    }

    /** The string the seed and EasyDeL use (config files, CLI flags). */
    public String value() { return value; }

    /**
     * The member whose {@link #value()} is {@code value};
     * an unknown string is an error naming it and the choices.
     */
    public static MoeLoadBalancingStrategy fromValue(String value) {
        for (MoeLoadBalancingStrategy m : values()) {
            if (m.value.equals(value)) return m;
        }
        throw new MoeException("MoeLoadBalancingStrategy: unknown value '" + value + "' (expected one of "
                + MoeEnums.valueList(values()) + ")");
    }

    @Override
    public String toString() { return value; }
}
