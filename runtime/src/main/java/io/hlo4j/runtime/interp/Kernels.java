package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The interpreter's kernels by op name. Loading this class registers every kernel and attaches each to its
 * op's {@link OpDef} (as the {@link Kernel} extension), so a registry walk shows which ops the interpreter runs.
 */
public final class Kernels {
    private Kernels() {}

    private static final Map<String, Kernel> BY_NAME = new TreeMap<>();

    static {
        ElementwiseKernels.register();
        ConvertKernels.register();
        ShapeKernels.register();
        ReduceKernels.register();
        GatherScatterKernels.register();
        SortKernels.register();
        ControlKernels.register();
        DotKernels.register();
        CheckKernels.register();
        CollectiveKernels.register();
        RngKernels.register();
        ChloKernels.register();
        Quant.register();
        Convolution.register();
        HostTransferKernels.register();
        ScanKernel.register();
        Fft.register();
        TriangularSolve.register();
        Cholesky.register();
        BatchNorm.register();
        ProbeKernels.register();
        SdyKernels.register();
        ChloBroadcastKernels.register();
        SpecialChloKernels.register();
        LegacyOpKernels.register();
        JaxCustomCalls.register();
        OpRegistry reg = OpRegistry.global();
        for (Map.Entry<String, Kernel> e : BY_NAME.entrySet()) {
            OpDef d = reg.lookup(e.getKey());
            if (d != null) d.attach(Kernel.class, e.getValue());
        }
    }

    static void put(String opName, Kernel k) {
        if (BY_NAME.putIfAbsent(opName, k) != null) throw new IllegalStateException("two kernels for " + opName);
    }

    /** Every op name with a kernel. */
    public static Map<String, Kernel> all() { return Collections.unmodifiableMap(BY_NAME); }

    /** The op's kernel: its OpDef's extension, else the kernel registered under its name; null if none. */
    public static Kernel lookup(Operation op) {
        OpDef d = op.def();
        Kernel k = d == null ? null : d.extension(Kernel.class);
        return k != null ? k : BY_NAME.get(op.name());
    }

    /** Forces registration (loading this class). */
    public static void init() {}
}
