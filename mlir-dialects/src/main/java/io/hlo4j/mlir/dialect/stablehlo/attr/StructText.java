package io.hlo4j.mlir.dialect.stablehlo.attr;

/** Builds upstream's printStruct text: empty lists and zero integers are left out. */
final class StructText {
    private final StringBuilder sb;
    private String sep = "";

    private StructText(String prefix) { sb = new StringBuilder(prefix).append('<'); }

    static StructText of(String prefix) { return new StructText(prefix); }

    StructText dims(String key, Dims d) {
        if (!d.isEmpty()) {
            sb.append(sep).append(key).append(" = ").append(d);
            sep = ", ";
        }
        return this;
    }

    StructText integer(String key, long v) {
        if (v != 0) {
            sb.append(sep).append(key).append(" = ").append(v);
            sep = ", ";
        }
        return this;
    }

    String close() { return sb.append('>').toString(); }
}
