package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.BoolAttr;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.dialect.chlo.ChloScanOp;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code chlo.scan} (body isolated from above), with saved residuals as JAX's scan transpose: a second forward
 * scan also emits the carry entering each step, stacked along the scan dimension; the backward scan walks the
 * positions the other way over (inputs, entering carries, output cotangents), recomputes the body at each
 * position and applies its VJP, carrying the carry cotangents; its outputs are the stacked input cotangents and
 * its final carries the init cotangents. Needs each carry's rank to be at least the scan dimension (the carry
 * stack is laid out along it).
 */
final class ScanRules {
    private ScanRules() {}

    static void install(VjpRules.Installer in) {
        in.rule(ChloScanOp.NAME, ScanRules::scan);
    }

    private static List<Value> scan(Backward b, Operation op, List<Value> g) {
        int nIn = ChloScanOp.numInputs(op), nOut = ChloScanOp.numOutputs(op), nC = op.numOperands() - nIn;
        int dim = (int) ChloScanOp.dimension(op);
        Block body = op.region(0).entry();
        Operation term = body.terminator();
        long len = op.attr("scan_dim_size") instanceof IntegerAttr s ? s.value()
                : nIn > 0 ? Backward.tensor(op.operand(0)).dim(dim) : Backward.tensor(op.result(0)).dim(dim);
        List<Type> carryTypes = new ArrayList<>();
        List<Type> stackTypes = new ArrayList<>();
        for (int k = 0; k < nC; k++) {
            TensorType ct = Backward.tensor(op.operand(nIn + k));
            if (dim > ct.rank()) throw b.refuse(op, "carry #" + k + " " + ct + " has rank below the scan dimension " + dim);
            carryTypes.add(ct);
            stackTypes.add(stacked(ct, dim, len));
        }

        List<Integer> dIn = new ArrayList<>(), dOut = new ArrayList<>(), dC = new ArrayList<>();
        for (int i = 0; i < nIn; i++) if (Backward.differentiable(op.operand(i).type())) dIn.add(i);
        for (int i = 0; i < nOut; i++) if (Backward.differentiable(op.result(i).type())) dOut.add(i);
        for (int k = 0; k < nC; k++) if (Backward.differentiable(carryTypes.get(k))) dC.add(k);
        if (dIn.isEmpty() && dC.isEmpty()) return Arrays.asList(new Value[op.numOperands()]);

        // 1. The forward scan again, also emitting the carry that enters each step.
        IrBuilder fb = b.ir().nested();
        List<Value> fArgs = new ArrayList<>();
        for (Value a : body.arguments()) fArgs.add(fb.addArgument(a.type(), b.loc()));
        List<Value> yielded = Regions.inline(fb, body, fArgs);
        List<Value> fRet = new ArrayList<>(yielded.subList(0, nOut));
        fRet.addAll(fArgs.subList(nIn, nIn + nC));
        fRet.addAll(yielded.subList(nOut, nOut + nC));
        Region fRegion = fb.sealRegion(fRet, term.name(), b.loc());
        List<Type> fTypes = new ArrayList<>();
        for (int i = 0; i < nOut; i++) fTypes.add(op.result(i).type());
        fTypes.addAll(stackTypes);
        fTypes.addAll(carryTypes);
        List<OpResult> fRes = b.ir().emit(ChloScanOp.NAME, op.operands(), attrs(op, nIn, nC, nOut + nC, nC, false), List.of(fRegion), fTypes, b.loc());
        List<Value> carryStacks = new ArrayList<>(fRes.subList(nOut, nOut + nC));

        // 2. The backward scan.
        List<Value> operands = new ArrayList<>(op.operands().subList(0, nIn));
        operands.addAll(carryStacks);
        for (int i : dOut) operands.add(g.get(i));
        for (int k : dC) operands.add(g.get(nOut + k));

        IrBuilder kb = b.ir().nested();
        List<Value> xs = new ArrayList<>(), cs = new ArrayList<>();
        for (int i = 0; i < nIn; i++) xs.add(kb.addArgument(body.argument(i).type(), b.loc()));
        for (int k = 0; k < nC; k++) cs.add(kb.addArgument(carryTypes.get(k), b.loc()));
        List<Value> seeds = Arrays.asList(new Value[nOut + nC]);
        for (int i : dOut) seeds.set(i, kb.addArgument(term.operand(i).type(), b.loc()));
        for (int k : dC) seeds.set(nOut + k, kb.addArgument(carryTypes.get(k), b.loc()));
        List<Value> args = new ArrayList<>(xs);
        args.addAll(cs);
        Sweep s = Regions.differentiate(kb, body, args, seeds, b.sweep());
        List<Value> ret = new ArrayList<>();
        for (int i : dIn) ret.add(Regions.ctOrZeros(s, body.argument(i), xs.get(i)));
        for (int k : dC) ret.add(Regions.ctOrZeros(s, body.argument(nIn + k), cs.get(k)));
        Region kRegion = kb.sealRegion(ret, term.name(), b.loc());
        List<Type> kTypes = new ArrayList<>();
        for (int i : dIn) kTypes.add(op.operand(i).type());
        for (int k : dC) kTypes.add(carryTypes.get(k));
        int kIn = nIn + nC + dOut.size();
        List<OpResult> kRes = b.ir().emit(ChloScanOp.NAME, operands, attrs(op, kIn, dC.size(), dIn.size(), dC.size(), true),
                List.of(kRegion), kTypes, b.loc());

        List<Value> out = Arrays.asList(new Value[op.numOperands()]);
        for (int j = 0; j < dIn.size(); j++) out.set(dIn.get(j), kRes.get(j));
        for (int j = 0; j < dC.size(); j++) out.set(nIn + dC.get(j), kRes.get(dIn.size() + j));
        return out;
    }

    private static TensorType stacked(TensorType t, int dim, long len) {
        long[] s = new long[t.rank() + 1];
        for (int j = 0, k = 0; j < s.length; j++) s[j] = j == dim ? len : t.dim(k++);
        return TensorType.of(t.elementType(), s);
    }

    /** The op's attributes with new segment sizes, walking the other way when {@code flip}. */
    private static Map<String, Attribute> attrs(Operation op, int ins, int inits, int outs, int carries, boolean flip) {
        Map<String, Attribute> p = new LinkedHashMap<>();
        p.put("dimension", op.attr("dimension"));
        if (op.attr("scan_dim_size") != null) p.put("scan_dim_size", op.attr("scan_dim_size"));
        if (op.attr("is_associative") != null) p.put("is_associative", op.attr("is_associative"));
        boolean rev = ChloScanOp.isReverse(op) != flip;
        if (rev || op.attr("is_reverse") != null) p.put("is_reverse", BoolAttr.of(rev));
        p.put("operandSegmentSizes", DenseArrayAttr.ofInts(IntegerType.I32, ins, inits));
        p.put("resultSegmentSizes", DenseArrayAttr.ofInts(IntegerType.I32, outs, carries));
        return p;
    }
}
