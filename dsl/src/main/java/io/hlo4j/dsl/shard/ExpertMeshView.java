package io.hlo4j.dsl.shard;

import io.hlo4j.compiler.spmd.partition.MeshRewrite;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * The 3D expert mesh {@code (dp, expert, tp)} as a view of the devices of the 5D model mesh
 * {@code (dp, fsdp, ep, tp, sp)}. {@code expert} folds fsdp, ep and sp; {@code fsdpIsEpBound = false} or
 * {@code spIsEpBound = false} folds fsdp or sp into {@code dp} instead. Within a folded axis the model axes
 * keep their model-mesh order, row-major (fsdp major, then ep, then sp).
 *
 * <p>The device at view position {@code (d, x, t)} is the model device whose dp-group axes linearise to d,
 * whose expert-group axes linearise to x and whose tp coordinate is t. So the devices of one {@code expert}
 * group are exactly those that differ only in the folded axes, for every factorisation. A plain reshape of
 * the model's device list (EasyDeL's {@code devices.reshape(dp, ep*, tp)}) only agrees when each group's axes
 * are contiguous in model order; with sp > 1 and tp > 1 it puts sp coordinates on the view's tp axis
 * ({@link #plainReshape} reproduces it for comparison). When the view is not a reshape, its mesh carries an
 * explicit {@code device_ids} permutation.
 *
 * <p>This class decides which model axes fold where (EasyDeL's rule and its two flags); the device order is built
 * by the compiler's {@link MeshRewrite#fold}, whose inverse ({@link MeshRewrite#correspondence}) is what the
 * partitioner uses to move data between the two meshes, so both sides read one statement of the correspondence.
 */
public final class ExpertMeshView {
    public static final List<String> MODEL_AXES = List.of("dp", "fsdp", "ep", "tp", "sp");
    public static final List<String> VIEW_AXES = List.of("dp", "expert", "tp");

    private final Mesh model;
    private final Mesh view;
    /** View axis -> the model axes it folds (major first): what the view's device order is built from. */
    private final SequencedMap<String, List<String>> groups;

    private ExpertMeshView(Mesh model, Mesh view, SequencedMap<String, List<String>> groups) {
        this.model = model;
        this.view = view;
        this.groups = Collections.unmodifiableSequencedMap(groups);
    }

    /** The 5D model mesh {@code (dp, fsdp, ep, tp, sp)} over devices 0..n-1, row-major. */
    public static Mesh modelMesh(int dp, int fsdp, int ep, int tp, int sp) { return Mesh.of(MODEL_AXES, dp, fsdp, ep, tp, sp); }

    /** The default view: fsdp and sp both fold into {@code expert}. */
    public static ExpertMeshView of(Mesh model) { return of(model, true, true); }

    public static ExpertMeshView of(Mesh model, boolean fsdpIsEpBound, boolean spIsEpBound) {
        for (String a : MODEL_AXES) {
            if (!model.hasAxis(a)) throw Mesh.fail("the expert-mesh view needs a model mesh with axes " + MODEL_AXES + "; " + model.describe() + " has no \"" + a + "\"");
        }
        if (model.rank() != MODEL_AXES.size()) throw Mesh.fail("the expert-mesh view needs exactly the axes " + MODEL_AXES + ", got " + model.axisNames());
        List<String> dpAxes = new ArrayList<>();
        List<String> expertAxes = new ArrayList<>();
        for (String a : model.axisNames()) {
            switch (a) {
                case "dp" -> dpAxes.add(a);
                case "ep" -> expertAxes.add(a);
                case "fsdp" -> (fsdpIsEpBound ? expertAxes : dpAxes).add(a);
                case "sp" -> (spIsEpBound ? expertAxes : dpAxes).add(a);
                default -> { }
            }
        }
        SequencedMap<String, List<String>> groups = new LinkedHashMap<>();
        groups.put("dp", List.copyOf(dpAxes));
        groups.put("expert", List.copyOf(expertAxes));
        groups.put("tp", List.of("tp"));
        MeshAttr folded = MeshRewrite.fold(model.toSdy(), groups);
        int[] sizes = folded.axes().stream().mapToInt(a -> Math.toIntExact(a.size())).toArray();
        int[] ids = folded.deviceOrder().stream().mapToInt(Math::toIntExact).toArray();
        Mesh view = Mesh.withDeviceIds(VIEW_AXES, sizes, ids).named("expert_mesh");
        return new ExpertMeshView(model, view, groups);
    }

    public Mesh model() { return model; }

    /** The 3D mesh {@code (dp, expert, tp)} named {@code expert_mesh}, with the device order of the view. */
    public Mesh mesh() { return view; }

    /** Model axes folded into the view's {@code dp}, in model order. */
    public List<String> dpAxes() { return groups.get("dp"); }

    /** Model axes folded into {@code expert}, in model order (major to minor). */
    public List<String> expertAxes() { return groups.get("expert"); }

    /** The model axes a view axis stands for. */
    public List<String> modelAxesOf(String viewAxis) {
        List<String> axes = groups.get(viewAxis);
        if (axes == null) throw Mesh.fail("unknown expert-mesh axis \"" + viewAxis + "\" (axes " + VIEW_AXES + ")");
        return axes;
    }

    /**
     * The model-mesh sharding holding exactly the same block on every device as {@code viewSharding} (each view
     * axis replaced by its model axes, major to minor). Data already laid out so needs no movement.
     */
    public NamedSharding toModel(NamedSharding viewSharding) {
        if (!viewSharding.mesh().equals(view)) throw Mesh.fail(viewSharding + " is not on this expert mesh " + view);
        List<List<String>> dims = new ArrayList<>();
        for (List<String> axes : viewSharding.spec().dims()) {
            List<String> m = new ArrayList<>();
            for (String a : axes) m.addAll(modelAxesOf(a));
            dims.add(m);
        }
        return new NamedSharding(model, PartitionSpec.ofAxes(dims));
    }

    /** EasyDeL's expert mesh: the model's row-major device list reshaped to (dp*, ep*, tp), no transpose. */
    public static Mesh plainReshape(Mesh model, boolean fsdpIsEpBound, boolean spIsEpBound) {
        ExpertMeshView v = of(model, fsdpIsEpBound, spIsEpBound);
        int[] flat = new int[model.size()];
        for (int p = 0; p < flat.length; p++) flat[p] = model.deviceAt(p);
        return Mesh.withDeviceIds(VIEW_AXES, v.view.sizes(), flat).named("expert_mesh");
    }

    @Override public String toString() { return "ExpertMeshView(" + model.describe() + " -> " + view.describe() + ", expert=" + expertAxes() + ", dp=" + dpAxes() + ")"; }
}
