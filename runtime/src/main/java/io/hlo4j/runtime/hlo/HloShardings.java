package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.pjrt.proto.CollectiveDeviceListProto;
import io.hlo4j.runtime.pjrt.proto.IotaReplicaGroupListProto;
import io.hlo4j.runtime.pjrt.proto.OpSharding;
import io.hlo4j.runtime.pjrt.proto.ReplicaGroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** HLO text of shardings ({@code {devices=[2,1]0,1}}) and of collective device groups ({@code {{0,1},{2,3}}}). */
public final class HloShardings {
    private HloShardings() {}

    /** {@code {replicated}}, {@code {maximal device=3}}, {@code {devices=[4,2]<=[8]}}, {@code {{replicated}, {manual}}}. */
    public static String text(OpSharding s) {
        return switch (s.getType()) {
            case REPLICATED -> "{replicated}";
            case MANUAL -> "{manual}";
            case UNKNOWN -> "{unknown}";
            case UNREDUCED -> "{unreduced}";
            case MAXIMAL -> "{maximal device=" + (s.getTileAssignmentDevicesCount() > 0 ? s.getTileAssignmentDevices(0) : 0) + "}";
            case TUPLE -> s.getTupleShardingsList().stream().map(HloShardings::text).collect(Collectors.joining(", ", "{", "}"));
            case OTHER -> {
                StringBuilder b = new StringBuilder("{devices=").append(ints(s.getTileAssignmentDimensionsList(), "[", "]"));
                if (s.getIotaReshapeDimsCount() > 0) {
                    b.append("<=").append(ints(s.getIotaReshapeDimsList(), "[", "]"));
                    if (!isIdentity(s.getIotaTransposePermList())) b.append("T").append(ints(s.getIotaTransposePermList(), "(", ")"));
                } else {
                    b.append(s.getTileAssignmentDevicesList().stream().map(String::valueOf).collect(Collectors.joining(",")));
                }
                if (s.getReplicateOnLastTileDim()) b.append(" last_tile_dim_replicate");
                if (s.getLastTileDimsCount() > 0)
                    b.append(" last_tile_dims=").append(s.getLastTileDimsList().stream().map(t -> t.name().toLowerCase(Locale.ROOT))
                            .collect(Collectors.joining(", ", "{", "}")));
                yield b.append('}').toString();
            }
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown OpSharding type " + s.getTypeValue());
        };
    }

    /** Explicit groups {@code {{0,1},{2,3}}} or XLA's compact iota form {@code [2,2]<=[4]} / {@code [2,2]<=[2,2]T(1,0)}. */
    static String groups(List<ReplicaGroup> explicit, CollectiveDeviceListProto list) {
        if (list != null && list.hasIotaReplicaGroupList()) {
            IotaReplicaGroupListProto iota = list.getIotaReplicaGroupList();
            String s = "[" + iota.getNumReplicaGroups() + "," + iota.getNumDevicesPerGroup() + "]<=" + ints(iota.getIotaReshapeDimsList(), "[", "]");
            return isIdentity(iota.getIotaTransposePermList()) ? s : s + "T" + ints(iota.getIotaTransposePermList(), "(", ")");
        }
        List<ReplicaGroup> gs = list != null && list.getReplicaGroupsCount() > 0 ? list.getReplicaGroupsList() : explicit;
        return gs.stream().map(g -> ints(g.getReplicaIdsList(), "{", "}")).collect(Collectors.joining(",", "{", "}"));
    }

    /** The groups as id lists, the iota form expanded (reshape iota(N), transpose, read rows of the group size). */
    static List<List<Long>> expand(List<ReplicaGroup> explicit, CollectiveDeviceListProto list) {
        List<List<Long>> out = new ArrayList<>();
        if (list != null && list.hasIotaReplicaGroupList()) {
            IotaReplicaGroupListProto iota = list.getIotaReplicaGroupList();
            List<Long> dims = iota.getIotaReshapeDimsList();
            List<Integer> perm = iota.getIotaTransposePermList().isEmpty()
                    ? java.util.stream.IntStream.range(0, dims.size()).boxed().toList() : iota.getIotaTransposePermList();
            int rank = dims.size();
            long total = 1;
            for (long d : dims) total *= d;
            if (total != iota.getNumReplicaGroups() * iota.getNumDevicesPerGroup())
                throw new IllegalArgumentException("iota replica groups [" + iota.getNumReplicaGroups() + "," + iota.getNumDevicesPerGroup()
                        + "] do not match reshape dims " + dims);
            long[] tdims = new long[rank];
            for (int i = 0; i < rank; i++) tdims[i] = dims.get(perm.get(i));
            long[] strides = new long[rank];
            long st = 1;
            for (int i = rank - 1; i >= 0; i--) { strides[i] = st; st *= dims.get(i); }
            List<Long> flat = new ArrayList<>();
            long[] idx = new long[rank];
            for (long k = 0; k < total; k++) {
                long id = 0;   // transposed index idx -> source index: source dim perm[i] = idx[i]
                for (int i = 0; i < rank; i++) id += idx[i] * strides[perm.get(i)];
                flat.add(id);
                for (int i = rank - 1; i >= 0; i--) { if (++idx[i] < tdims[i]) break; idx[i] = 0; }
            }
            int g = (int) iota.getNumDevicesPerGroup();
            for (int i = 0; i < flat.size(); i += g) out.add(List.copyOf(flat.subList(i, i + g)));
            return out;
        }
        List<ReplicaGroup> gs = list != null && list.getReplicaGroupsCount() > 0 ? list.getReplicaGroupsList() : explicit;
        for (ReplicaGroup g : gs) out.add(List.copyOf(g.getReplicaIdsList()));
        return out;
    }

    static String ints(List<? extends Number> xs, String open, String close) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(",", open, close));
    }

    private static boolean isIdentity(List<Integer> perm) {
        for (int i = 0; i < perm.size(); i++) if (perm.get(i) != i) return false;
        return true;
    }
}
