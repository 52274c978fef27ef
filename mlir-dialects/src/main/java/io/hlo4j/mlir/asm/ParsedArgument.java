package io.hlo4j.mlir.asm;

import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.types.Type;

/** A region or function argument as written: {@code %name: type {attrs} loc(...)}. */
public record ParsedArgument(String name, Type type, DictionaryAttr attributes, Location location) {}
