package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.attr.Attribute;

import java.util.List;
import java.util.stream.Collectors;

/** MLIR source locations. {@code toString()} gives the {@code loc(...)} text. */
public sealed interface Location {
    Location UNKNOWN = new Unknown();

    /** The body inside {@code loc(...)}. */
    String body();

    default String text() { return "loc(" + body() + ")"; }

    /** A short human form for diagnostics: {@code File.java:12:5}. */
    default String describe() { return body(); }

    /**
     * {@code loc(unknown)}. An op parsed from text under {@code loc(unknown)} (JAX writes it on returns, constants and
     * functions, often through an alias {@code #loc1 = loc(unknown)}) keeps, in {@code parsedAt}, where in the text it
     * was parsed: diagnostics name that place ({@link #describe()}, {@link #isPlaced()}), while the location itself stays
     * unknown: it prints as {@code loc(unknown)} and equals every other unknown location.
     */
    record Unknown(FileLineCol parsedAt) implements Location {
        public Unknown() { this(null); }
        @Override public String body() { return "unknown"; }
        @Override public String describe() { return parsedAt == null ? "unknown location" : parsedAt.describe(); }
        @Override public String toString() { return text(); }
        @Override public boolean equals(Object o) { return o instanceof Unknown; }
        @Override public int hashCode() { return Unknown.class.hashCode(); }
    }

    /** Whether a diagnostic at this location can name a place: any location but an unknown one parsed from no text. */
    default boolean isPlaced() { return !(this instanceof Unknown u) || u.parsedAt() != null; }

    /** {@code this}, or for an unknown location, the unknown location parsed at {@code at}. */
    default Location orParsedAt(FileLineCol at) { return this instanceof Unknown && at != null ? new Unknown(at) : this; }

    /** {@code "file":line:col}, optionally a range {@code to line:col} (endLine 0 = same line). */
    record FileLineCol(String file, int line, int column, int endLine, int endColumn) implements Location {
        public FileLineCol(String file, int line, int column) { this(file, line, column, -1, -1); }
        @Override public String body() {
            String s = quote(file) + ":" + line + ":" + column;
            if (endColumn >= 0) s += " to " + (endLine > 0 && endLine != line ? endLine : "") + ":" + endColumn;
            return s;
        }
        @Override public String describe() { return file + ":" + line + ":" + column; }
        @Override public String toString() { return text(); }
    }

    /** {@code "name"(child)} or just {@code "name"} when the child is unknown. */
    record Named(String name, Location child) implements Location {
        @Override public String body() {
            return child instanceof Unknown ? quote(name) : quote(name) + "(" + child.body() + ")";
        }
        @Override public String describe() { return child instanceof Unknown ? name : name + " at " + child.describe(); }
        @Override public String toString() { return text(); }
    }

    /** {@code callsite(callee at caller)}. */
    record CallSite(Location callee, Location caller) implements Location {
        @Override public String body() { return "callsite(" + callee.body() + " at " + caller.body() + ")"; }
        @Override public String describe() { return callee.describe() + " called from " + caller.describe(); }
        @Override public String toString() { return text(); }
    }

    /** {@code fused<metadata>[a, b]}; metadata may be null. */
    record Fused(List<Location> locations, Attribute metadata) implements Location {
        public Fused { locations = List.copyOf(locations); }
        @Override public String body() {
            String inner = locations.stream().map(Location::body).collect(Collectors.joining(", ", "[", "]"));
            return "fused" + (metadata == null ? "" : "<" + metadata + ">") + inner;
        }
        @Override public String describe() {
            return locations.isEmpty() ? "fused" : locations.get(0).describe();
        }
        @Override public String toString() { return text(); }
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c == '\n') sb.append("\\n");
            else if (c < 0x20) sb.append(String.format("\\%02X", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
