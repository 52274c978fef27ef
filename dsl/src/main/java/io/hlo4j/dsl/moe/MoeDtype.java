package io.hlo4j.dsl.moe;

/**
 * The compute dtype of a MoE layer: bf16 runs select experts on bf16-rounded probabilities and accumulate in
 * f32; f32 runs compute and accumulate in f32; f64 runs (an hlo4j extension, for gradient checks) do both in f64.
 */
public enum MoeDtype {
    FLOAT32("float32"),
    BFLOAT16("bfloat16"),
    /** Everything in f64, accumulation included: for finite-difference gradient checks and f64 oracles. */
    FLOAT64("float64");

    private final String value;

    MoeDtype(String value) {
        this.value = value;
    }

    /** The string the seed and EasyDeL use (config files, CLI flags). */
    public String value() { return value; }

    /**
     * The member whose {@link #value()} is {@code value};
     * an unknown string is an error naming it and the choices.
     */
    public static MoeDtype fromValue(String value) {
        for (MoeDtype m : values()) {
            if (m.value.equals(value)) return m;
        }
        throw new MoeException("MoeDtype: unknown value '" + value + "' (expected one of "
                + MoeEnums.valueList(values()) + ")");
    }

    @Override
    public String toString() { return value; }
}
