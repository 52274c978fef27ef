package io.hlo4j.compiler.cost;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpTrait;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Static cost of a module: per-function FLOPs, bytes, peak memory; its collectives; the entry function's shardings. */
public final class CostAnalysis {
    private CostAnalysis() {}

    /** The whole report. {@code arguments}/{@code results} are the entry function's (main, or the only public one). */
    public record ModuleCost(String module, List<FunctionCost> functions, List<CollectiveInfo> collectives,
                             String entry, List<TensorInfo> arguments, List<TensorInfo> results,
                             Map<String, MeshAttr> meshes) {
        public long totalFlops() { return functions.stream().mapToLong(FunctionCost::flops).sum(); }
        public long totalBytes() { return functions.stream().mapToLong(FunctionCost::bytes).sum(); }
        public boolean anyBound() { return functions.stream().anyMatch(FunctionCost::flopsBound); }
    }

    public static ModuleCost analyze(Module module) {
        Map<String, MeshAttr> meshes = meshes(module);
        List<FunctionCost> functions = new ArrayList<>();
        List<CollectiveInfo> collectives = new ArrayList<>();
        CollectiveTraffic.Processes procs = CollectiveTraffic.Processes.of(module);
        for (Operation f : module.functions()) functions.add(function(f, meshes, procs, collectives));
        Operation entry = entry(module);
        List<TensorInfo> args = new ArrayList<>();
        List<TensorInfo> results = new ArrayList<>();
        if (entry != null && !entry.regions().isEmpty() && !entry.region(0).isEmpty()) {
            Block body = entry.region(0).entry();
            for (int i = 0; i < body.arguments().size(); i++) {
                args.add(TensorInfo.of(i, body.argument(i).type(), FuncOps.argAttrs(entry, i), meshes));
            }
            Operation ret = body.terminator();
            for (int i = 0; ret != null && i < ret.numOperands(); i++) {
                results.add(TensorInfo.of(i, ret.operand(i).type(), FuncOps.resultAttrs(entry, i), meshes));
            }
        }
        return new ModuleCost(module.name(), List.copyOf(functions), List.copyOf(collectives),
                entry == null ? null : name(entry), List.copyOf(args), List.copyOf(results), meshes);
    }

    /** Meshes declared by {@code sdy.mesh @name = <...>} at module level. */
    public static Map<String, MeshAttr> meshes(Module module) {
        Map<String, MeshAttr> m = new LinkedHashMap<>();
        for (Operation op : module.operations()) {
            if (op.name().equals("sdy.mesh") && op.attr("sym_name") instanceof StringAttr s && op.attr("mesh") instanceof MeshAttr mesh) {
                m.put(s.value(), mesh);
            }
        }
        return m;
    }

    /** {@code @main} when present, else the only public function, else the first one. */
    public static Operation entry(Module module) {
        List<Operation> fs = module.functions();
        for (Operation f : fs) if ("main".equals(name(f))) return f;
        List<Operation> pub = fs.stream().filter(f -> !(f.attr("sym_visibility") instanceof StringAttr v && v.value().equals("private"))).toList();
        if (pub.size() == 1) return pub.get(0);
        return fs.isEmpty() ? null : fs.get(0);
    }

    public static String name(Operation func) {
        return func.attr("sym_name") instanceof StringAttr s ? s.value() : "?";
    }

    private static FunctionCost function(Operation f, Map<String, MeshAttr> meshes, CollectiveTraffic.Processes procs,
                                         List<CollectiveInfo> collectives) {
        String fname = name(f);
        Map<String, Integer> hist = new TreeMap<>();
        long[] acc = new long[4]; // flops, read, written, collective bytes
        boolean[] bound = {false};
        boolean[] dynamic = {false};
        List<FunctionCost.OpShare> shares = new ArrayList<>();
        Walker.walk(f, op -> {
            if (op == f) return;
            hist.merge(op.name(), 1, Integer::sum);
            if (insideReducer(op, f)) return; // counted by the op that holds the body
            try {
                for (var v : op.results()) dynamic[0] |= TensorBytes.isDynamic(v.type());
                for (var v : op.operands()) dynamic[0] |= TensorBytes.isDynamic(v.type());
                OpFlops.Count c = OpFlops.of(op);
                if (c.flops() > 0) shares.add(new FunctionCost.OpShare(op.name(), op.location().describe(), c.flops()));
                acc[0] = Math.addExact(acc[0], c.flops());
                bound[0] |= c.bound();
                if (!movesNoData(op)) {
                    acc[1] = Math.addExact(acc[1], CollectiveInfo.bytes(op.operandTypes()));
                    acc[2] = Math.addExact(acc[2], CollectiveInfo.bytes(op.resultTypes()));
                }
                OpDef def = op.def();
                if (def != null && def.has(OpTrait.COLLECTIVE) || CollectiveTraffic.isRaggedAllToAll(op)) {
                    CollectiveInfo ci = CollectiveInfo.of(op, fname, meshes, procs);
                    collectives.add(ci);
                    // -1 is "unknown" (group size not known), said on the collective itself; counts that overflow
                    // were refused above (RingBytes throws), so no wrapped value reaches here
                    acc[3] = Math.addExact(acc[3], Math.max(0, ci.bytesPerDevice()));
                }
            } catch (ArithmeticException e) {
                if (!overflow(e)) throw e; // a division by zero is a bug to see, not a count too large
                throw tooLarge(op.name() + " (operands " + op.operandTypes() + ", results " + op.resultTypes() + ")", "@" + fname, op.location());
            }
        });
        int params = 0;
        long paramBytes = 0;
        PeakMemory.Peak peak = new PeakMemory.Peak(0, -1, null);
        if (!f.regions().isEmpty() && !f.region(0).isEmpty()) {
            Block body = f.region(0).entry();
            params = body.arguments().size();
            try {
                paramBytes = body.arguments().stream().mapToLong(a -> TensorBytes.of(a.type())).reduce(0, Math::addExact);
                peak = PeakMemory.of(body);
            } catch (ArithmeticException e) {
                if (!overflow(e)) throw e;
                throw tooLarge("the arguments and values " + body.arguments().stream().map(a -> a.type().toString()).toList(), "@" + fname, f.location());
            }
        }
        try {
            Math.addExact(acc[1], acc[2]);
        } catch (ArithmeticException e) {
            throw tooLarge("the bytes read (" + acc[1] + ") plus written (" + acc[2] + ")", "@" + fname, f.location());
        }
        return new FunctionCost(fname, hist, params, paramBytes, acc[0], bound[0], acc[1], acc[2], peak.bytes(),
                peak.atOpName(), acc[3], dynamic[0], top(shares));
    }

    /** How many of the costliest ops a report lists. */
    static final int TOP_OPS = 5;

    private static List<FunctionCost.OpShare> top(List<FunctionCost.OpShare> shares) {
        return shares.stream().sorted(java.util.Comparator.comparingLong(FunctionCost.OpShare::flops).reversed())
                .limit(TOP_OPS).toList();
    }

    /** Terminators, constants and pure metadata ops neither read nor write tensors in memory. */
    private static boolean movesNoData(Operation op) {
        String n = op.name();
        return n.equals("func.return") || n.equals("stablehlo.return") || n.equals("sdy.return")
                || n.equals("stablehlo.constant") || n.equals("stablehlo.optimization_barrier")
                || n.equals("sdy.sharding_constraint") || n.equals("stablehlo.get_tuple_element") || n.equals("stablehlo.tuple");
    }

    /** Whether op sits in the body of a reduce-like op (reduce, reduce_window, scatter, sort, all_reduce, ...). */
    private static boolean insideReducer(Operation op, Operation func) {
        for (Operation p = parentOp(op); p != null && p != func; p = parentOp(p)) {
            switch (p.name()) {
                case "stablehlo.while", "stablehlo.case", "stablehlo.if", "sdy.manual_computation", "sdy.named_computation" -> { }
                default -> { return true; }
            }
        }
        return false;
    }

    private static Operation parentOp(Operation op) {
        return op.parent() == null || op.parent().parent() == null ? null : op.parent().parent().parent();
    }

    /** Counts past 64 bits: refused naming what overflowed, rather than reported wrapped around. */
    /** Whether e is Math.*Exact's overflow ("long overflow", "integer overflow"), not another arithmetic failure. */
    private static boolean overflow(ArithmeticException e) {
        return e.getMessage() != null && e.getMessage().endsWith("overflow");
    }

    private static io.hlo4j.mlir.ir.Hlo4jException tooLarge(String what, String function, io.hlo4j.mlir.ir.Location at) {
        return new io.hlo4j.mlir.ir.Hlo4jException("cost of " + what + " in " + function + " does not fit in 64 bits (FLOPs or bytes)", at);
    }
}
