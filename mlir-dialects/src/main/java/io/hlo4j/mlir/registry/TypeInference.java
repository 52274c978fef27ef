package io.hlo4j.mlir.registry;

import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.types.Type;

import java.util.List;

/** Result types from operand types, inherent attributes and regions (the spec's type inference). */
@FunctionalInterface
public interface TypeInference {
    List<Type> inferResultTypes(List<Type> operandTypes, DictionaryAttr properties, List<Region> regions);
}
