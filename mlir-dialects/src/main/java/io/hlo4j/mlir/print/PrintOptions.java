package io.hlo4j.mlir.print;

/**
 * How to print: {@code generic} forces the generic op form everywhere (and, as MLIR's
 * {@code -mlir-print-op-generic}, drops pretty result names: every value is numbered); {@code locations}
 * prints {@code loc(...)} inline after ops and arguments.
 */
public record PrintOptions(boolean generic, boolean locations) {
    public static final PrintOptions DEFAULT = new PrintOptions(false, false);
    public static final PrintOptions GENERIC = new PrintOptions(true, false);

    public PrintOptions withGeneric(boolean g) { return new PrintOptions(g, locations); }
    public PrintOptions withLocations(boolean l) { return new PrintOptions(generic, l); }
}
