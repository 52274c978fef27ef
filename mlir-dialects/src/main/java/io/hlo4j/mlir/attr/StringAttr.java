package io.hlo4j.mlir.attr;

import io.hlo4j.mlir.types.Type;

/**
 * {@code "text"} (optionally {@code "text" : type}). Strings are byte strings in MLIR; hlo4j keeps them as
 * Java strings decoded from UTF-8, with bytes that are not valid UTF-8 kept as Latin-1 code points of the
 * escapes they came from. {@code type} is null for untyped strings.
 */
public record StringAttr(String value, Type type) implements Attribute {
    public StringAttr(String value) { this(value, null); }
    @Override public String toString() { return AttrText.string(this); }
}
