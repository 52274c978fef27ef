package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.ir.Location;

/** A location used as an attribute value (rare; e.g. inside fused location metadata). */
public record LocationAttr(Location location) implements Attribute {
    @Override public String toString() { return location.toString(); }
}
