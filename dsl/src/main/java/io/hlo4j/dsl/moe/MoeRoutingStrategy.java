package io.hlo4j.dsl.moe;

/**
 * Who picks the (token, expert) pairs and the default weights (moe-semantics.md, Routing strategies); hlo4j does
 * what the names promise, unlike EasyDeL's current code.
 */
public enum MoeRoutingStrategy {
    TOP_K("top_k"),
    TOP_K_NDIV("top_k_ndiv"),
    SWITCH("switch"),
    EXPERT_CHOICE("expert_choice"),
    HASH("hash");

    private final String value;

    MoeRoutingStrategy(String value) {
        this.value = value;
    }

    /** The string the seed and EasyDeL use (config files, CLI flags). */
    public String value() { return value; }

    /**
     * The member whose {@link #value()} is {@code value};
     * an unknown string is an error naming it and the choices.
     */
    public static MoeRoutingStrategy fromValue(String value) {
        for (MoeRoutingStrategy m : values()) {
            if (m.value.equals(value)) return m;
        }
        throw new MoeException("MoeRoutingStrategy: unknown value '" + value + "' (expected one of "
                + MoeEnums.valueList(values()) + ")");
    }

    @Override
    public String toString() { return value; }
}
