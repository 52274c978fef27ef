package io.hlo4j.mlir.attr;

/** The unit attribute: a bare key in a dictionary ({@code use_global_device_ids}). */
public record UnitAttr() implements Attribute {
    public static final UnitAttr INSTANCE = new UnitAttr();
    @Override public String toString() { return "unit"; }
}
