package io.hlo4j.mlir.types;

import java.util.List;
import java.util.stream.Collectors;

/** {@code (inputs) -> results}; a single non-function result prints without parentheses. */
public record FunctionType(List<Type> inputs, List<Type> results) implements Type {
    public FunctionType {
        inputs = List.copyOf(inputs);
        results = List.copyOf(results);
    }

    @Override public String toString() {
        String in = inputs.stream().map(Object::toString).collect(Collectors.joining(", ", "(", ")"));
        String out;
        if (results.size() == 1 && !(results.get(0) instanceof FunctionType)) out = results.get(0).toString();
        else out = results.stream().map(Object::toString).collect(Collectors.joining(", ", "(", ")"));
        return in + " -> " + out;
    }
}
