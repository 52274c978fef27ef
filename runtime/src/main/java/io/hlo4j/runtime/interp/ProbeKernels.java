package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.print.PrintOptions;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The reference interpreter's instrumentation ops. {@code interpreter.print} writes {@code %name = } and the
 * tensor's nested form to the interpreter's print sink. {@code interpreter.probe} writes its operand to
 * {@code probe<N>.npy} in the probe directory (N counting from 1 per run) and appends
 * {@code probe_id,type,path} to {@code index.csv} there; {@code check.expect_serialized_eq} reads the
 * {@code iter}-th (from 0) record of its {@code probe_id} back and compares it exactly with its operand.
 */
final class ProbeKernels {
    private ProbeKernels() {}

    static final String INDEX = "index.csv";

    static void register() {
        Kernels.put("interpreter.print", (op, a, f) -> {
            Tensor t = (Tensor) a.get(0);
            f.interpreter().emit(ssaPrefix(op.operand(0)) + TensorPrinter.nested(t) + "\n");
            return List.of();
        });
        Kernels.put("interpreter.probe", (op, a, f) -> {
            probe(op, (Tensor) a.get(0), f.interpreter());
            return List.of(a.get(0));
        });
        Kernels.put("check.expect_serialized_eq", (op, a, f) -> {
            Tensor expected = (Tensor) a.get(0);
            Tensor stored = serialized(op, expected.type, f.interpreter());
            CheckKernels.expectEq(op, stored, expected);
            return List.of();
        });
    }

    /** {@code %0 = }: the value's name as its defining op prints on its own (MLIR's local scope), as the reference does. */
    private static String ssaPrefix(Value v) {
        if (!(v instanceof OpResult r)) return "";
        String text = MlirPrinter.print(r.owner(), PrintOptions.DEFAULT).strip();
        int eq = text.indexOf(" = ");
        return eq < 0 ? "" : text.substring(0, eq + 3);
    }

    private static Path dir(Operation op, Interpreter in) {
        Path d = in.probeDir();
        if (d == null) {
            throw InterpreterException.at(op, "no probe output directory (stablehlo-translate --probe-output-dir, "
                    + "Interpreter.setProbeDir) for probe_id \"" + probeId(op) + "\"");
        }
        return d;
    }

    private static String probeId(Operation op) {
        return op.attr("probe_id") instanceof StringAttr s ? s.value() : String.valueOf(op.attr("probe_id"));
    }

    private static void probe(Operation op, Tensor t, Interpreter in) {
        Path d = dir(op, in);
        String id = probeId(op);
        if (id.indexOf(',') >= 0 || id.indexOf('\n') >= 0 || id.indexOf(' ') >= 0) {
            throw InterpreterException.at(op, "probe_id \"" + id + "\" holds a comma, space or newline, which index.csv cannot record");
        }
        synchronized (in) {
            Path file = d.resolve("probe" + in.nextProbeFile() + ".npy");
            try {
                Npy.write(file, HostArrays.toHost(t));
                Files.writeString(d.resolve(INDEX), id + "," + t.type + "," + file + "\n",
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw InterpreterException.at(op, "cannot write probe \"" + id + "\" to " + d + ": " + e.getMessage());
            }
        }
    }

    private static Tensor serialized(Operation op, TensorType type, Interpreter in) {
        Path d = dir(op, in);
        String id = probeId(op);
        long iter = op.attr("iteration") instanceof IntegerAttr i ? i.value() : 0;
        List<String> lines;
        try {
            lines = Files.exists(d.resolve(INDEX)) ? Files.readAllLines(d.resolve(INDEX)) : List.of();
        } catch (IOException e) {
            throw InterpreterException.at(op, "cannot read " + d.resolve(INDEX) + ": " + e.getMessage());
        }
        long seen = 0;
        for (String line : lines) {
            String[] f = line.split(",", 3);
            if (f.length != 3 || !f[0].equals(id)) continue;
            if (seen++ != iter) continue;
            if (!f[1].equals(type.toString())) {
                throw new CheckFailure(op, "probe \"" + id + "\" iteration " + iter + " recorded type " + f[1] + ", expected " + type);
            }
            try {
                Tensor t = HostArrays.toTensor(Npy.read(Path.of(f[2]), type.elementType()));
                if (!t.type.equals(type)) throw new IOException(f[2] + " holds " + t.type + ", expected " + type);
                return t;
            } catch (IOException | RuntimeException e) {
                throw new CheckFailure(op, "cannot read probe \"" + id + "\" iteration " + iter + ": " + e.getMessage());
            }
        }
        throw new CheckFailure(op, "no serialized data for probe \"" + id + "\" iteration " + iter + " in " + d.resolve(INDEX)
                + " (" + seen + " records of that probe)");
    }
}
