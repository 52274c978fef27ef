package io.hlo4j.dsl.nn;

import io.hlo4j.dsl.Tensor;

/** A model part: declares its parameters once ({@link #init}) and applies them to traced inputs. */
public interface Layer {
    void init(ParamScope scope);

    Tensor apply(Params params, Tensor x);
}
