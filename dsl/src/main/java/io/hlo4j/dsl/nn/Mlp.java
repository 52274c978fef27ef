package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Tensor;

import java.util.ArrayList;
import java.util.List;

/** Linear layers {@code layer0, layer1, ...} with ReLU between them (none after the last). */
public record Mlp(List<Linear> layers) implements Layer {
    public static Mlp of(DType dtype, long... widths) {
        List<Linear> ls = new ArrayList<>();
        for (int i = 0; i + 1 < widths.length; i++) ls.add(new Linear(widths[i], widths[i + 1], dtype));
        return new Mlp(List.copyOf(ls));
    }

    @Override public void init(ParamScope s) {
        for (int i = 0; i < layers.size(); i++) layers.get(i).init(s.child("layer" + i));
    }

    @Override public Tensor apply(Params p, Tensor x) {
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).apply(p.child("layer" + i), x);
            if (i + 1 < layers.size()) x = Nn.relu(x);
        }
        return x;
    }
}
