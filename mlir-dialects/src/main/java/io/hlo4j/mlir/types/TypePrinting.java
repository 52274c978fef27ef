package io.hlo4j.mlir.types;

/** Canonical spellings shared by several type records. */
final class TypePrinting {
    private TypePrinting() {}

    static String quantized(QuantizedType q) {
        StringBuilder sb = new StringBuilder("!quant.uniform<");
        sb.append(q.storageType());
        if (q.storageMin() != null) sb.append('<').append(q.storageMin()).append(':').append(q.storageMax()).append('>');
        sb.append(':').append(q.expressedType());
        if (q.quantizedDimension() != null) {
            sb.append(':').append(q.quantizedDimension()).append(", {");
            for (int i = 0; i < q.scales().size(); i++) {
                if (i > 0) sb.append(',');
                appendScale(sb, q.scales().get(i), q.zeroPoints().get(i));
            }
            sb.append('}');
        } else {
            sb.append(", ");
            appendScale(sb, q.scales().get(0), q.zeroPoints().get(0));
        }
        return sb.append('>').toString();
    }

    private static void appendScale(StringBuilder sb, double scale, long zp) {
        sb.append(FloatFormat.format(scale));
        if (zp != 0) sb.append(':').append(zp);
    }
}
