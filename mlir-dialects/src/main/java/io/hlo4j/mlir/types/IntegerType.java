package io.hlo4j.mlir.types;

/**
 * An integer type: {@code i1} (boolean), signless {@code iN} (StableHLO treats these as signed),
 * unsigned {@code uiN}, and explicitly signed {@code siN}.
 */
public record IntegerType(int width, Signedness signedness) implements ElementType {
    public enum Signedness { SIGNLESS, SIGNED, UNSIGNED }

    public static final IntegerType I1 = new IntegerType(1, Signedness.SIGNLESS);
    public static final IntegerType I8 = new IntegerType(8, Signedness.SIGNLESS);
    public static final IntegerType I16 = new IntegerType(16, Signedness.SIGNLESS);
    public static final IntegerType I32 = new IntegerType(32, Signedness.SIGNLESS);
    public static final IntegerType I64 = new IntegerType(64, Signedness.SIGNLESS);
    public static final IntegerType UI8 = new IntegerType(8, Signedness.UNSIGNED);
    public static final IntegerType UI32 = new IntegerType(32, Signedness.UNSIGNED);
    public static final IntegerType UI64 = new IntegerType(64, Signedness.UNSIGNED);

    public IntegerType {
        if (width < 1 || width > 64) throw new IllegalArgumentException("integer width out of range [1, 64]: " + width);
    }

    public static IntegerType signless(int width) { return new IntegerType(width, Signedness.SIGNLESS); }
    public static IntegerType unsigned(int width) { return new IntegerType(width, Signedness.UNSIGNED); }

    public boolean isBool() { return width == 1; }
    public boolean isUnsigned() { return signedness == Signedness.UNSIGNED; }

    @Override public int storageBytes() { return width <= 8 ? 1 : width / 8 + (width % 8 == 0 ? 0 : 1); }

    @Override public String toString() {
        return switch (signedness) {
            case SIGNLESS -> "i" + width;
            case SIGNED -> "si" + width;
            case UNSIGNED -> "ui" + width;
        };
    }
}
