package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.attr.Attribute;

import java.util.List;
import java.util.stream.Collectors;

/**
 * MLIR source locations. {@code toString()} gives the {@code loc(...)} text; {@link #describe()} the place a diagnostic
 * names, in every form MLIR allows: the first file:line:col it holds (as MLIR's diagnostics show a location), with
 * the name of a named location in front, else the location as MLIR prints it ({@code "x"}).
 */
public sealed interface Location {
    Location UNKNOWN = new Unknown();

    /** The body inside {@code loc(...)}. */
    String body();

    default String text() { return "loc(" + body() + ")"; }

    /** A short human form for diagnostics: {@code File.java:12:5}. */
    default String describe() { return body(); }

    /** Whether this location holds a file:line:col (a parsed-at place included) that {@link #describe()} can name. */
    boolean hasFile();

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
        @Override public boolean hasFile() { return parsedAt != null; }
        @Override public String toString() { return text(); }
        @Override public boolean equals(Object o) { return o instanceof Unknown; }
        @Override public int hashCode() { return Unknown.class.hashCode(); }
    }

    /**
     * Whether a diagnostic at this location can name a place: a file:line:col, or a name (a named location without a
     * file); not an unknown location parsed from no text, nor a call site or fusion of only such.
     */
    default boolean isPlaced() {
        return switch (this) {
            case Unknown u -> u.parsedAt() != null;
            case CallSite c -> c.callee().isPlaced() || c.caller().isPlaced();
            case Fused f -> f.locations().stream().anyMatch(Location::isPlaced);
            default -> true;
        };
    }

    /**
     * {@code this} with {@code at} (where the text holding it was parsed) as the place of a location that holds no file:
     * the unknown location in it ({@code loc(unknown)}, the child of {@code loc("x")}, a call site's callee, a fusion's
     * first member) becomes unknown parsed at {@code at}. It prints and compares as before; a location with a file is
     * returned as it is.
     */
    default Location orParsedAt(FileLineCol at) {
        if (at == null || hasFile()) return this;
        return switch (this) {
            case Unknown u -> new Unknown(at);
            case Named n -> new Named(n.name(), n.child().orParsedAt(at));
            case CallSite c -> new CallSite(c.callee().orParsedAt(at), c.caller());
            case Fused f -> {
                if (f.locations().isEmpty()) yield f;
                List<Location> ls = new java.util.ArrayList<>(f.locations());
                ls.set(0, ls.get(0).orParsedAt(at));
                yield new Fused(ls, f.metadata());
            }
            case FileLineCol f -> f;
        };
    }

    /** {@code "file":line:col}, optionally a range {@code to line:col} (endLine 0 = same line). */
    record FileLineCol(String file, int line, int column, int endLine, int endColumn) implements Location {
        public FileLineCol(String file, int line, int column) { this(file, line, column, -1, -1); }
        @Override public String body() {
            String s = quote(file) + ":" + line + ":" + column;
            if (endColumn >= 0) s += " to " + (endLine > 0 && endLine != line ? endLine : "") + ":" + endColumn;
            return s;
        }
        @Override public String describe() { return file + ":" + line + ":" + column; }
        @Override public boolean hasFile() { return true; }
        @Override public String toString() { return text(); }
    }

    /**
     * {@code "name"(child)} or just {@code "name"} when the child is unknown. Described as {@code name at file:line:col}
     * when the child holds a place ({@code name called from file:line:col} when that is a call site of an unknown
     * callee), else as MLIR prints it: {@code "name"}, {@code "name"("inner")}.
     */
    record Named(String name, Location child) implements Location {
        @Override public String body() {
            return child instanceof Unknown ? quote(name) : quote(name) + "(" + child.body() + ")";
        }
        @Override public String describe() {
            if (!child.hasFile()) return body();
            String where = child.describe();
            return name + (where.startsWith("called from ") ? " " : " at ") + where;
        }
        @Override public boolean hasFile() { return child.hasFile(); }
        @Override public String toString() { return text(); }
    }

    /** {@code callsite(callee at caller)}: described as MLIR's diagnostics tell it, the callee, then where it was called from. */
    record CallSite(Location callee, Location caller) implements Location {
        @Override public String body() { return "callsite(" + callee.body() + " at " + caller.body() + ")"; }
        @Override public String describe() {
            if (!caller.isPlaced()) return callee.describe();
            return (callee.isPlaced() ? callee.describe() + " called from " : "called from ") + caller.describe();
        }
        @Override public boolean hasFile() { return callee.hasFile() || caller.hasFile(); }
        @Override public String toString() { return text(); }
    }

    /**
     * {@code fused<metadata>[a, b]}; metadata may be null. Described by its first member that holds a file (MLIR's
     * diagnostics show that one), else its first placed member, else as MLIR prints it.
     */
    record Fused(List<Location> locations, Attribute metadata) implements Location {
        public Fused { locations = List.copyOf(locations); }
        @Override public String body() {
            String inner = locations.stream().map(Location::body).collect(Collectors.joining(", ", "[", "]"));
            return "fused" + (metadata == null ? "" : "<" + metadata + ">") + inner;
        }
        @Override public String describe() {
            for (Location l : locations) if (l.hasFile()) return l.describe();
            for (Location l : locations) if (l.isPlaced()) return l.describe();
            return body();
        }
        @Override public boolean hasFile() { return locations.stream().anyMatch(Location::hasFile); }
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
