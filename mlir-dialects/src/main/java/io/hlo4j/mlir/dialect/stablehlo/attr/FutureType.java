package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.types.DialectType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.stream.Collectors;

/** {@code !stablehlo.future<tensor<4xf32>, ...>}: the value of an asynchronous computation in flight. */
public record FutureType(List<Type> types) implements DialectType {
    public FutureType {
        types = List.copyOf(types);
        if (types.isEmpty()) throw new IllegalArgumentException("!stablehlo.future needs at least one type");
    }

    @Override public String name() { return "stablehlo.future"; }

    @Override public String toString() {
        return types.stream().map(Object::toString).collect(Collectors.joining(", ", "!stablehlo.future<", ">"));
    }

    public static FutureType parse(AsmParser p) {
        p.expect("<");
        List<Type> ts = p.parseTypeList();
        p.expect(">");
        return new FutureType(ts);
    }
}
