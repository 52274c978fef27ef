package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Map;

/**
 * The device-local copy of an op: its local operands, result types and properties, its discardable attributes
 * without the sharding and the op's own sharding rule (a device program carries neither), its regions copied.
 */
final class LocalOpCopy {
    private LocalOpCopy() {}

    static Operation.Builder of(Operation op, List<? extends Value> operands, List<? extends Type> types, Map<String, Attribute> props, Location loc) {
        Operation.Builder ob = Operation.builder(op.name()).location(loc).operands(operands).resultTypes(types);
        for (Map.Entry<String, Attribute> e : props.entrySet()) ob.property(e.getKey(), e.getValue());
        // an own sharding rule's factor sizes are global: the device program keeps no sdy attribute
        ob.attributes(op.attributes().without(Partitioner.SHARDING).without(LocalOps.OWN_RULE));
        for (Region r : op.regions()) ob.region(RegionCopy.copy(r));
        return ob;
    }
}
