package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.SubAxes;
import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.DimensionSharding;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How one op is computed on the devices: the mesh axes of each factor of its sharding rule, and from them the
 * sharding every operand must arrive in and every local result leaves in. Factors take axes from the result
 * shardings propagation chose; reduction factors (where the op allows a partial result, finished by a
 * collective) take axes from the operands first, so that an operand already split along its contracting
 * dimension is not gathered. Need-replication and permutation factors get no axes. An axis is used by at most
 * one factor (two disjoint sub-axes of one axis, {@code "x":(1)2} and {@code "x":(2)2}, may go to two). An axis that
 * does not divide what is left of its factor keeps its major part of the size they share (a sub-axis, when the factor is
 * not its dimension's last); what does not fit is left out (the value is then resharded, never padded).
 * A dimension made of several factors is split over the major factor first: a minor factor gets axes only
 * when every factor before it is split completely.
 */
final class FactorPlan {
    final OpShardingRule rule;
    final List<List<AxisRef>> axes = new ArrayList<>();
    private final DeviceGrid grid;
    /** Axes and sub-axes given to a factor so far: two sub-axes of one axis that do not overlap may go to two factors. */
    private final List<AxisRef> used = new ArrayList<>();
    private final Set<Integer> blocked = new HashSet<>();

    private FactorPlan(OpShardingRule rule, DeviceGrid grid) {
        this.rule = rule;
        this.grid = grid;
        for (int f = 0; f < rule.numFactors(); f++) axes.add(List.of());
    }

    /**
     * @param operands the operands' current shardings (null for a non-tensor operand)
     * @param results  the shardings propagation chose for the results
     * @param reductionsAllowed whether sharded reduction factors may leave partial results here
     * @param alsoWhole factors the local op cannot split although the rule allows it
     */
    static FactorPlan plan(OpShardingRule rule, DeviceGrid grid, List<TensorSharding> operands, List<TensorSharding> results,
                           boolean reductionsAllowed, Set<Integer> alsoWhole) {
        return plan(rule, grid, operands, results, reductionsAllowed, alsoWhole, false);
    }

    /**
     * As above; with {@code resultsFirst} the results' axes are given to their factors before the operands' reduction
     * axes (the other candidate when both want one axis: FSDP's batch split on the result against the weight split along
     * its contracting dimension, where gathering the weight is cheaper than moving the activation).
     */
    static FactorPlan plan(OpShardingRule rule, DeviceGrid grid, List<TensorSharding> operands, List<TensorSharding> results,
                           boolean reductionsAllowed, Set<Integer> alsoWhole, boolean resultsFirst) {
        FactorPlan p = new FactorPlan(rule, grid);
        p.blocked.addAll(alsoWhole);
        p.blocked.addAll(rule.needReplicationFactors());
        p.blocked.addAll(rule.permutationFactors());
        if (!reductionsAllowed) p.blocked.addAll(rule.reductionFactors());
        if (resultsFirst) p.absorbResults(results);
        if (reductionsAllowed) {
            Set<Integer> onlyReductions = new HashSet<>();
            for (int f = 0; f < rule.numFactors(); f++) if (!rule.reductionFactors().contains(f)) onlyReductions.add(f);
            for (int o = 0; o < operands.size(); o++) {
                if (operands.get(o) == null) continue;
                for (int d = 0; d < rule.operandMappings().get(o).size(); d++) {
                    p.absorb(rule.operandDimFactors(o, d), operands.get(o).axesOfDim(d), onlyReductions);
                }
            }
        }
        if (!resultsFirst) p.absorbResults(results);
        p.settle();
        return p;
    }

    private void absorbResults(List<TensorSharding> results) {
        for (int r = 0; r < results.size(); r++) {
            for (int d = 0; d < rule.resultMappings().get(r).size(); d++) absorb(rule.resultDimFactors(r, d), results.get(r).axesOfDim(d), Set.of());
        }
    }

    /** Whether two plans give every factor the same axes. */
    boolean sameAxes(FactorPlan o) { return axes.equals(o.axes); }

    /**
     * A device's share of the op's iteration space under this plan: the product over factors of the factor's size
     * divided (rounded up) by the devices its axes split it over. For a dot_general that is its local multiply-adds.
     * Factors in {@code undivided} count 1, split or not: they enumerate alternatives of which each point of the
     * iteration space meets one (a ragged_dot's kernel groups: each row meets its group's kernel only), so splitting
     * them does not divide the busiest device's work; with none given, a split of them divides the work (as it does
     * on average when the rows are spread evenly over the groups).
     */
    double localWork(Set<Integer> undivided) {
        double w = 1;
        for (int f = 0; f < axes.size(); f++) {
            if (undivided.contains(f)) continue;
            long size = rule.factorSizes().get(f), split = grid.size(axes.get(f));
            w *= (double) ((size + split - 1) / Math.max(1, split));
        }
        return w;
    }

    private boolean full(int f) { return grid.size(axes.get(f)) == rule.factorSizes().get(f); }

    /**
     * Gives the axes of one tensor dimension to its factors, major first, where they fit. An axis that does not divide
     * what is left of a factor that is not the dimension's last gives the factor its major part of gcd(left, size)
     * devices: when that completes the factor, the next factor gets the rest (a reshape splitting or merging a sharded
     * dimension keeps each device's block where it is); otherwise the rest is dropped (a reshape of [24] on x=4 to
     * [6,4] keeps "x":(1)2 on the 6, so only the minor half is gathered).
     */
    private void absorb(List<Integer> factors, List<AxisRef> dimAxes, Set<Integer> excluded) {
        List<AxisRef> left = new ArrayList<>(dimAxes);
        for (int i = 0; i < factors.size(); i++) {
            int f = factors.get(i);
            if (left.isEmpty()) return;
            List<AxisRef> have = axes.get(f);
            if (!have.isEmpty()) {
                for (AxisRef h : have) {
                    List<AxisRef> rest = left.isEmpty() ? null : SubAxes.after(left.getFirst(), h, grid.mesh());
                    if (rest == null) return;
                    left.removeFirst();
                    left.addAll(0, rest);
                }
                if (!full(f)) return;
                continue;
            }
            long size = rule.factorSizes().get(f);
            if (blocked.contains(f) || excluded.contains(f)) {
                if (size == 1) continue;
                return;
            }
            List<AxisRef> take = new ArrayList<>();
            long prod = 1;
            while (!left.isEmpty() && prod < size) {
                AxisRef a = left.getFirst();
                long s = grid.size(a);
                long common = SubAxes.gcd(size / prod, s);
                if (size % (prod * s) != 0 && common > 1 && i + 1 < factors.size()) {
                    // the major part that fits: all that is left of the factor (then the minor part goes on to the
                    // next factor) or only part of it (then nothing follows: the minor part's blocks are not contiguous)
                    AxisRef major = SubAxes.major(a, common, grid.mesh());
                    if (overlapsUsed(major)) break;
                    take.add(major);
                    prod *= common;
                    left.removeFirst();
                    left.addFirst(SubAxes.minor(a, common, grid.mesh()));
                    break;
                }
                if (overlapsUsed(a) || size % (prod * s) != 0) break;
                take.add(a);
                prod *= s;
                left.removeFirst();
            }
            if (!take.isEmpty()) {
                axes.set(f, List.copyOf(take));
                used.addAll(take);
            }
            if (prod != size) return;
        }
    }

    /** Whether {@code a} shares devices' coordinates with an axis already used: the same axis, overlapping sub-axis ranges. */
    private boolean overlapsUsed(AxisRef a) {
        for (AxisRef u : used) if (u.overlaps(a)) return true;
        return false;
    }

    /** Clears axes of minor factors that follow a factor split only partly, in any tensor, until none is left. */
    private void settle() {
        boolean changed = true;
        while (changed) {
            changed = false;
            List<List<List<Integer>>> all = new ArrayList<>(rule.operandMappings());
            all.addAll(rule.resultMappings());
            for (List<List<Integer>> t : all) {
                for (List<Integer> dim : t) {
                    boolean partial = false;
                    for (int f : dim) {
                        if (partial && !axes.get(f).isEmpty()) {
                            axes.set(f, List.of());
                            changed = true;
                        }
                        if (!full(f)) partial = partial || !axes.get(f).isEmpty() || rule.factorSizes().get(f) != 1;
                    }
                }
            }
        }
    }

    private TensorSharding sharding(List<List<Integer>> mapping, String meshName) {
        List<DimensionSharding> dims = new ArrayList<>();
        for (List<Integer> dim : mapping) {
            List<AxisRef> as = new ArrayList<>();
            for (int f : dim) as.addAll(axes.get(f));
            // the major and minor parts of one axis on one dimension are that axis (the layout the value is held in)
            dims.add(new DimensionSharding(SubAxes.join(as, grid.mesh()), true, null));
        }
        return new TensorSharding(meshName, null, dims, List.of(), List.of(), "sum");
    }

    TensorSharding operand(int i, String meshName) { return sharding(rule.operandMappings().get(i), meshName); }

    TensorSharding result(int i, String meshName) { return sharding(rule.resultMappings().get(i), meshName); }

    /** The axes of the sharded reduction factors: the local results are partial over them. */
    List<AxisRef> reductionAxes() {
        List<AxisRef> out = new ArrayList<>();
        for (int f : rule.reductionFactors()) out.addAll(axes.get(f));
        return out;
    }
}
