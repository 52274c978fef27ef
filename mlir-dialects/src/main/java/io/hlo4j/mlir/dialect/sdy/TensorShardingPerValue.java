package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.List;

/** {@code #sdy.sharding_per_value<[<@mesh, [...]>, ...]>}: one sharding per result (or per operand) of an op. */
public record TensorShardingPerValue(List<TensorSharding> shardings) implements DialectAttribute {
    public TensorShardingPerValue { shardings = List.copyOf(shardings); }

    public static TensorShardingPerValue of(TensorSharding... s) { return new TensorShardingPerValue(List.of(s)); }

    public int size() { return shardings.size(); }
    public TensorSharding get(int i) { return shardings.get(i); }

    @Override public String name() { return "sdy.sharding_per_value"; }

    /** {@code [<@m, [...]>, ...]}: the stripped list manual_computation's in/out_shardings print. */
    public String strippedList() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shardings.size(); i++) sb.append(i == 0 ? "" : ", ").append(shardings.get(i).body());
        return sb.append(']').toString();
    }

    @Override public String toString() { return "#sdy.sharding_per_value<" + strippedList() + ">"; }
}
