package io.hlo4j.mlir.dialect.sdy;

import java.util.List;

/** Spelling helpers shared by the sdy attributes. */
final class SdyText {
    private SdyText() {}

    /** A string literal as MLIR writes it (quotes, backslash escapes for quote, backslash and control bytes). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20 || c == 0x7f) sb.append(String.format("\\%02X", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** A symbol name as written after '@': bare when it is an identifier, else quoted. */
    static String symbol(String name) {
        return name.matches("[A-Za-z_][A-Za-z0-9_$.]*") ? name : quote(name);
    }

    /** {@code "a", "b":(1)2} without braces. */
    static String axes(List<AxisRef> axes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < axes.size(); i++) sb.append(i == 0 ? "" : ", ").append(axes.get(i));
        return sb.toString();
    }
}
