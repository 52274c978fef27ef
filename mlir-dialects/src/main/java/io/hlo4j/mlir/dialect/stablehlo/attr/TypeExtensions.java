package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

/**
 * The bounds encoding of a bounded-dynamic tensor, {@code tensor<?x4xf32, #stablehlo.bounds<16, ?>>}: one
 * bound per dimension, {@link Dims#DYNAMIC} ({@code ?}) for none. Upstream prints it as {@code #stablehlo.bounds<...>}
 * and also accepts {@code #stablehlo.type_extensions<bounds = [...]>}.
 */
public record TypeExtensions(Dims bounds) implements DialectAttribute {
    @Override public String name() { return "stablehlo.bounds"; }

    @Override public String toString() { return "#stablehlo.bounds<" + bounds.joined() + ">"; }

    /** {@code <16, ?>}. */
    public static TypeExtensions parseBounds(AsmParser p) {
        p.expect("<");
        long[] buf = new long[8];
        int n = 0;
        if (!p.peekIs(">")) {
            do {
                if (n == buf.length) buf = java.util.Arrays.copyOf(buf, n * 2);
                buf[n++] = p.consumeIf("?") ? Dims.DYNAMIC : p.parseInteger();
            } while (p.consumeIf(","));
        }
        p.expect(">");
        return new TypeExtensions(Dims.of(java.util.Arrays.copyOf(buf, n)));
    }

    /** {@code <bounds = [16, ?]>}. */
    public static TypeExtensions parseTypeExtensions(AsmParser p) {
        p.expect("<");
        p.expectKeyword("bounds");
        p.expect("=");
        Dims d = Dims.parse(p, true);
        p.expect(">");
        return new TypeExtensions(d);
    }
}
