package io.hlo4j.mlir.print;

/**
 * How to print: {@code generic} forces the generic op form everywhere (and, as MLIR's
 * {@code -mlir-print-op-generic}, drops pretty result names: every value is numbered); {@code locations}
 * prints {@code loc(...)} inline after ops and arguments; {@code profile} picks which upstream printer to match.
 */
public record PrintOptions(boolean generic, boolean locations, Profile profile) {
    public static final PrintOptions DEFAULT = new PrintOptions(false, false);
    public static final PrintOptions GENERIC = new PrintOptions(true, false);

    /**
     * Which upstream printer the output matches. {@link #CURRENT}: today's {@code stablehlo-opt} (MLIR with
     * properties, {@code %c}/{@code %cst} names for constants, pretty {@code dot_general}). {@link #PRE_PROPERTIES}:
     * the StableHLO text JAX exported before MLIR had op properties and before StableHLO gave constants result
     * names or {@code dot_general} a pretty form (what {@code testdata/dynamic/} holds): every value numbered,
     * inherent attributes of generic ops inside the trailing {@code {...}} dictionary, {@code dot_general}
     * generic. Both forms parse back to the same IR.
     */
    public enum Profile { CURRENT, PRE_PROPERTIES }

    public PrintOptions {
        if (profile == null) throw new IllegalArgumentException("PrintOptions: profile is null");
    }

    public PrintOptions(boolean generic, boolean locations) { this(generic, locations, Profile.CURRENT); }

    public PrintOptions withGeneric(boolean g) { return new PrintOptions(g, locations, profile); }
    public PrintOptions withLocations(boolean l) { return new PrintOptions(generic, l, profile); }
    public PrintOptions withProfile(Profile p) { return new PrintOptions(generic, locations, p); }

    /** Result-name stems such as {@code %c} and {@code %cst}: only the pretty form of the current profile. */
    boolean nameHints() { return !generic && profile == Profile.CURRENT; }
}
