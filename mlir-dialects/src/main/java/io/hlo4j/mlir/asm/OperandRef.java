package io.hlo4j.mlir.asm;

/** A use of an SSA name as written: {@code %name} or {@code %name#resultNumber} (-1 when absent). */
public record OperandRef(String name, int resultNumber, int line, int column) {
    public String text() { return "%" + name + (resultNumber >= 0 ? "#" + resultNumber : ""); }
}
