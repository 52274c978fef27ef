package io.hlo4j.runtime.interp;

import java.util.List;

/** A runtime value of the interpreter: a tensor, a tuple of values, or a token (no data). */
public sealed interface RtValue permits Tensor, RtValue.Tuple, RtValue.Token {
    /** {@code tuple<...>} values. */
    record Tuple(List<RtValue> elements) implements RtValue {
        public Tuple { elements = List.copyOf(elements); }
    }

    /** {@code !stablehlo.token}: orders side effects, carries nothing. */
    record Token() implements RtValue {
        public static final Token INSTANCE = new Token();
    }
}
