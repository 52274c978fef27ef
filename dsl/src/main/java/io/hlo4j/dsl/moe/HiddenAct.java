package io.hlo4j.dsl.moe;

/** The expert activation, by its Hugging Face name ({@code hidden_act}). "gelu" is the exact erf form. */
public enum HiddenAct {
    SILU("silu"),
    GELU("gelu"),
    GELU_PYTORCH_TANH("gelu_pytorch_tanh"),
    RELU("relu");

    private final String value;

    HiddenAct(String value) {
        this.value = value;
    }

    public String value() { return value; }

    public static HiddenAct fromValue(String value) {
        for (HiddenAct m : values()) {
            if (m.value.equals(value)) return m;
        }
        throw new MoeException("HiddenAct: unknown value '" + value + "' (expected one of "
                + MoeEnums.valueList(values()) + ")");
    }

    @Override
    public String toString() { return value; }
}
