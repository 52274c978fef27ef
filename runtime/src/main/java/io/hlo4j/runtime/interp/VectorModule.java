package io.hlo4j.runtime.interp;

/**
 * Whether the interpreter's vector kernels run: {@link VectorMatmul} (f32 {@code dot_general} and {@code ragged_dot}),
 * {@link VectorExp} (f32 {@code exponential} and {@code logistic}) and {@link VectorReduce} (max/min reductions) need
 * {@code jdk.incubator.vector} in the boot layer ({@code --add-modules jdk.incubator.vector}, which {@code ./hlo4j}
 * passes unless {@code HLO4J_VECTOR=0}); without it the scalar kernels compute the same bits. The one place the
 * kernels and {@code hlo4j --version} ask.
 */
public final class VectorModule {
    private VectorModule() {}

    private static final boolean PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** True when {@code jdk.incubator.vector} is in the boot layer, so the vector kernels are used. */
    public static boolean inBootLayer() {
        return PRESENT;
    }
}
