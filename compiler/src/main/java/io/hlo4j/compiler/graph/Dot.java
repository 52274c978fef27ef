package io.hlo4j.compiler.graph;

/** Graphviz DOT quoting. */
final class Dot {
    private Dot() {}

    /** A double-quoted DOT string; {@code \n} in the text becomes a centred line break. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
