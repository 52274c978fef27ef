package io.hlo4j.dsl.shard;

import java.util.ArrayList;
import java.util.List;

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
 */
public final class ExpertMeshView {
    public static final List<String> MODEL_AXES = List.of("dp", "fsdp", "ep", "tp", "sp");
    public static final List<String> VIEW_AXES = List.of("dp", "expert", "tp");

    private final Mesh model;
    private final Mesh view;
    private final List<String> dpAxes;
    private final List<String> expertAxes;

    private ExpertMeshView(Mesh model, Mesh view, List<String> dpAxes, List<String> expertAxes) {
        this.model = model;
        this.view = view;
        this.dpAxes = List.copyOf(dpAxes);
        this.expertAxes = List.copyOf(expertAxes);
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
        int dpSize = model.axisSize(dpAxes), exSize = model.axisSize(expertAxes), tpSize = model.axisSize("tp");
        int[] ids = new int[model.size()];
        int[] c = new int[model.rank()];
        int tpIdx = model.axisIndex("tp");
        for (int d = 0; d < dpSize; d++) {
            fill(model, dpAxes, d, c);
            for (int x = 0; x < exSize; x++) {
                fill(model, expertAxes, x, c);
                for (int t = 0; t < tpSize; t++) {
                    c[tpIdx] = t;
                    ids[(d * exSize + x) * tpSize + t] = model.device(c);
                }
            }
        }
        Mesh view = Mesh.withDeviceIds(VIEW_AXES, new int[] {dpSize, exSize, tpSize}, ids).named("expert_mesh");
        return new ExpertMeshView(model, view, dpAxes, expertAxes);
    }

    /** Sets the coordinates of {@code axes} in {@code c} to the row-major decomposition of {@code index}. */
    private static void fill(Mesh m, List<String> axes, int index, int[] c) {
        for (int k = axes.size() - 1; k >= 0; k--) {
            int ai = m.axisIndex(axes.get(k));
            int s = m.sizes()[ai];
            c[ai] = index % s;
            index /= s;
        }
    }

    public Mesh model() { return model; }

    /** The 3D mesh {@code (dp, expert, tp)} named {@code expert_mesh}, with the device order of the view. */
    public Mesh mesh() { return view; }

    /** Model axes folded into the view's {@code dp}, in model order. */
    public List<String> dpAxes() { return dpAxes; }

    /** Model axes folded into {@code expert}, in model order (major to minor). */
    public List<String> expertAxes() { return expertAxes; }

    /** The model axes a view axis stands for. */
    public List<String> modelAxesOf(String viewAxis) {
        return switch (viewAxis) {
            case "dp" -> dpAxes;
            case "expert" -> expertAxes;
            case "tp" -> List.of("tp");
            default -> throw Mesh.fail("unknown expert-mesh axis \"" + viewAxis + "\" (axes " + VIEW_AXES + ")");
        };
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

    @Override public String toString() { return "ExpertMeshView(" + model.describe() + " -> " + view.describe() + ", expert=" + expertAxes + ", dp=" + dpAxes + ")"; }
}
