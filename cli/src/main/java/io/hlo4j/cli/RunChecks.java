package io.hlo4j.cli;

import io.hlo4j.compiler.ad.Calls;
import io.hlo4j.compiler.spmd.DeviceLimits;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.MeshUse;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.dialect.stablehlo.Verify;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.array.Shape;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code hlo4j run} checks before it runs anything, so that a wrong input or a program the interpreter cannot
 * hold is refused by name (the .npy file, or the op and its line) rather than failing deep inside the interpreter.
 */
final class RunChecks {
    private RunChecks() {}

    /** Simulated devices are threads of this JVM: the limit {@link DeviceLimits#MAX_SIMULATED_DEVICES} shared with the partitioner's users. */
    static final int MAX_SIMULATED_DEVICES = DeviceLimits.MAX_SIMULATED_DEVICES;

    /** What a wrong count of {@code --input}s is told to give instead. */
    static final String INPUT_HINT = ": give one --input FILE.npy per argument, in order, or --input DIR of numbered .npy files (arg0.npy, arg1.npy, ...)";

    /**
     * What a wrong count of {@code --input}s on {@code devices} simulated devices is told: on several, the inputs are
     * either shared by every device or N x (number of arguments), dealt device by device.
     */
    static String inputHint(int nargs, int devices) {
        if (devices == 1) return INPUT_HINT;
        return ": give " + nargs + " (one per argument, in order; every device gets them) or " + devices + " x " + nargs + " = "
                + (long) nargs * devices + ", dealt device by device (device 0's " + nargs + " first), as one --input FILE.npy each"
                + " or --input DIR of numbered .npy files (arg0.npy, arg1.npy, ...)";
    }

    /** Each {@code --input} file, checked to be a readable file, then read. */
    static List<HostArray> readInputs(List<Path> files) throws IOException {
        List<HostArray> arrays = new ArrayList<>();
        for (Path p : files) {
            CliFiles.requireInputFile(p, "--input");
            arrays.add(Npy.read(p));
        }
        return arrays;
    }

    /**
     * Input {@code i} feeds argument {@code i % nargs}: the inputs are either one per argument (every device gets them) or
     * {@code devices} x nargs, dealt out device by device; each must have its argument's element type and shape (a dynamic
     * dimension takes any size). A count that matches neither layout is left to the caller's message. {@code spmd} is the
     * module {@code run --spmd} partitions (else null): a refusal then says when the module looks like a per-device program
     * written without its mark ({@link #perDeviceHint}). The refusal numbers the argument from 0, as every other message
     * does, and names the device when the inputs are dealt out: not the input's place among the {@code --input}s, which the
     * file names.
     */
    static void inputsMatch(Operation fn, List<Path> files, List<HostArray> arrays, int devices, Module spmd) {
        List<BlockArgument> args = fn.region(0).entry().arguments();
        int n = args.size();
        if (n == 0 || (arrays.size() != n && arrays.size() != (long) n * devices)) return;
        boolean dealt = arrays.size() != n;
        for (int i = 0; i < arrays.size(); i++) {
            BlockArgument a = args.get(i % n);
            TensorType got = arrays.get(i).type();
            if (!(a.type() instanceof TensorType want) || !Verify.compatible(got, want)) {
                String where = !a.location().isPlaced() ? "" : " (" + a.location().describe() + ")";
                String which = (dealt ? "device " + i / n + "'s argument " : "argument ") + a.index();
                throw new IllegalArgumentException(files.get(i) + ": --input for " + which + " of @" + SymbolTable.symbolName(fn) + where
                        + " is " + got + ", but the argument is " + a.type() + (spmd == null ? "" : perDeviceHint(spmd, args, arrays)));
            }
        }
    }

    /**
     * The likely case behind a refused input of {@code run --spmd}: a per-device program ({@code dump --emit explicit})
     * written before hlo4j marked those {@link MeshUse#PER_DEVICE_PROGRAM}, which {@code run --spmd} takes for a global
     * program with every value replicated. Said when the module declares an {@code sdy.mesh} nothing uses, carries no
     * mark, and every argument is a block of its input on that mesh: the same element type and rank, each dimension the
     * input's divided by the sizes of mesh axes, no axis twice in one argument (as a sharding splits it). The refused
     * input is then some argument times an axis of size > 1, but a replicated global program given a wrong input can
     * look the same, so the module must also hold an op only one device's part of a program has ({@link #perDeviceOp}:
     * a collective, or partition_id), as every dump of a sharded step does. Else "".
     */
    static String perDeviceHint(Module module, List<BlockArgument> args, List<HostArray> arrays) {
        Operation meshOp = unmarkedPerDevice(module);
        if (meshOp == null) return "";
        MeshAttr mesh = (MeshAttr) meshOp.attr("mesh");
        long[] sizes = mesh.axes().stream().mapToLong(MeshAttr.Axis::size).toArray();
        if (sizes.length > 16) return "";
        for (int i = 0; i < arrays.size(); i++) {
            TensorType got = arrays.get(i).type();
            if (!(args.get(i % args.size()).type() instanceof TensorType want) || !want.hasStaticShape()
                    || !want.elementType().equals(got.elementType()) || want.rank() != got.rank()
                    || !blocks(got.shape(), want.shape(), 0, sizes, 0)) {
                return "";
            }
        }
        return "; its arguments are its inputs' blocks on sdy.mesh @" + SymbolTable.symbolName(meshOp) + ", which nothing in it uses:"
                + " " + OLD_DUMP + ". Dump it again ('hlo4j dump ... --mesh ... --emit explicit' marks it) and run that"
                + " with --devices " + devices(module, mesh) + " and each device's blocks, or run the annotated dump (--emit annotated) with --spmd";
    }

    /** What both hints say: the module's likely origin. */
    private static final String OLD_DUMP = "it looks like a per-device program written by 'hlo4j dump --emit explicit' before dumps carried the mark "
            + MeshUse.PER_DEVICE_PROGRAM;

    /**
     * The likely case behind a refused partitioning of {@code dump FILE} (the partitioner finds a collective outside a
     * manual computation): a per-device program written before hlo4j marked those, which dump takes for a global
     * program. Said on {@link #perDeviceHint}'s evidence without the inputs: an {@code sdy.mesh} nothing uses, no mark, and
     * an op only one device's part of a program has. Else "".
     */
    static String perDeviceDumpHint(Module module) {
        Operation meshOp = unmarkedPerDevice(module);
        if (meshOp == null) return "";
        return "; its sdy.mesh @" + SymbolTable.symbolName(meshOp) + " is used by nothing in it, and it talks across devices: " + OLD_DUMP
                + ", so it is partitioned already. Run it with --devices " + devices(module, (MeshAttr) meshOp.attr("mesh"))
                + " and each device's blocks, or dump it again ('hlo4j dump ... --mesh ... --emit explicit' marks it)";
    }

    /**
     * The mesh of a module that declares an {@code sdy.mesh} nothing uses, carries no per-device mark and holds an op only
     * one device's part of a program has ({@link #perDeviceOp}: as every dump of a sharded step does); else null.
     */
    private static Operation unmarkedPerDevice(Module module) {
        MeshUse use = MeshUse.of(module);
        if (!use.meshUnused() || MeshUse.markedPerDevice(module) || !(use.firstMesh().attr("mesh") instanceof MeshAttr)) return null;
        boolean[] perDeviceOp = {false};
        Walker.walk(module.op(), op -> perDeviceOp[0] |= perDeviceOp(op));
        return perDeviceOp[0] ? use.firstMesh() : null;
    }

    /** The devices a per-device program runs on: its {@code mhlo.num_partitions}, else its mesh's size. */
    private static long devices(Module module, MeshAttr mesh) {
        return module.attributes() != null && module.attributes().get("mhlo.num_partitions") instanceof IntegerAttr p ? p.value() : mesh.totalSize();
    }

    /**
     * An op that talks across devices (its definition's {@link OpTrait#COLLECTIVE}) or asks which partition runs it: what
     * a partitioned program has and a replicated one needs not.
     */
    private static boolean perDeviceOp(Operation op) {
        return op.def() != null && op.def().has(OpTrait.COLLECTIVE) || op.name().equals("stablehlo.partition_id");
    }

    /** Whether dimensions {@code d..} of {@code want} are those of {@code global} divided by products of mesh axes not in {@code used}. */
    private static boolean blocks(long[] global, long[] want, int d, long[] sizes, int used) {
        if (d == global.length) return true;
        for (int subset = 0; subset < 1 << sizes.length; subset++) {
            if ((subset & used) != 0) continue;
            long k = 1;
            for (int a = 0; a < sizes.length; a++) if ((subset >> a & 1) != 0) k *= sizes[a];
            if (want[d] * k == global[d] && blocks(global, want, d + 1, sizes, used | subset)) return true;
        }
        return false;
    }

    /** Each mesh of the module (declared or inline) has at most {@link DeviceLimits#MAX_SIMULATED_DEVICES} devices. */
    static void meshesSimulatable(Module module) { DeviceLimits.simulatable(module); }

    /** Each mesh of the module (declared or inline) has at most {@link DeviceLimits#MAX_PARTITIONED_DEVICES} devices. */
    static void meshesPartitionable(Module module) { DeviceLimits.partitionable(module); }

    /**
     * What {@code entry} runs can run: no {@code func.call} chain from it recurses or names a missing or mistyped
     * function (the interpreter would recurse until the thread stack ran out; XLA refuses recursive programs too), and
     * in {@code entry} and the functions it reaches, every result has a static shape of at most
     * {@link Shape#MAX_ELEMENTS} elements (the interpreter's limits). Functions it never calls are not its business.
     * The first op at fault is refused with its location, before anything runs.
     */
    static void runnable(Module module, Operation entry) {
        for (Operation fn : Calls.runs(entry, module.symbols()::lookup, "run")) {
            Walker.walk(fn, op -> {
                for (OpResult r : op.results()) {
                    Type t = r.type();
                    if (!(t instanceof TensorType tt)) continue;
                    if (!tt.hasStaticShape()) {
                        throw new Hlo4jException(op.name() + ": result #" + r.index() + " has the dynamic type " + tt
                                + "; the interpreter runs programs with static shapes only", op.location());
                    }
                    String tooLarge = io.hlo4j.runtime.interp.TensorLimit.tooLarge(tt);
                    if (tooLarge != null) throw new Hlo4jException(op.name() + ": result #" + r.index() + " " + tooLarge, op.location());
                }
            });
        }
    }

    /**
     * A module marked {@link MeshUse#PER_DEVICE_PROGRAM} (what {@code dump --emit explicit} writes, its mesh kept only to
     * name the axes of its collectives) is refused at its mesh's line (else the module's): the partitioner would take it
     * for a replicated global program, each device running one device's program on the whole inputs. {@code why} says
     * what partitioning it would do; the line says to run it with {@code --devices N} (the module's
     * {@code mhlo.num_partitions}, else its mesh's size). An unmarked module whose mesh nothing uses is a global program
     * with every value replicated, as JAX reads it, and passes ({@link #unshardedNote}).
     */
    static void notPerDevice(Module module, String why) {
        if (!MeshUse.markedPerDevice(module)) return;
        MeshUse use = MeshUse.of(module);
        Operation mesh = use.firstMesh();
        long n = module.attributes().get("mhlo.num_partitions") instanceof IntegerAttr p ? p.value()
                : mesh != null && mesh.attr("mesh") instanceof MeshAttr ma ? ma.totalSize() : 1;
        String what = mesh == null ? "it carries " + MeshUse.PER_DEVICE_PROGRAM
                : use.used() ? "it carries " + MeshUse.PER_DEVICE_PROGRAM + " (its sdy.mesh @" + SymbolTable.symbolName(mesh) + " names collective axes only)"
                : "its sdy.mesh @" + SymbolTable.symbolName(mesh) + " is used by no sdy.sharding";
        throw new Hlo4jException("a per-device program (dump --emit explicit): " + what + ", so " + why + "; run it with --devices " + n,
                mesh != null ? mesh.location() : module.op().location());
    }

    /**
     * For a module that declares an {@code sdy.mesh} nothing uses and is not marked per-device: the words that say its
     * partitioned run shards nothing (every value replicated on every device, as in JAX), else null.
     */
    static String unshardedNote(Module module) {
        MeshUse use = MeshUse.of(module);
        if (!use.meshUnused() || MeshUse.markedPerDevice(module)) return null;
        return "nothing is sharded (sdy.mesh @" + SymbolTable.symbolName(use.firstMesh())
                + " is used by no sdy.sharding: every device ran the whole program on the whole inputs)";
    }
}
