package io.hlo4j.mlir.types;

/** {@code !stablehlo.token}. */
public record TokenType() implements Type {
    public static final TokenType INSTANCE = new TokenType();
    @Override public String toString() { return "!stablehlo.token"; }
}
