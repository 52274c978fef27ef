package io.hlo4j.dsl.moe;

/** The physical names of the five model-mesh axes (semantic DP, FSDP, EP, TP, SP); defaults dp, fsdp, ep, tp, sp. */
public record MeshAxisNames(String dp, String fsdp, String ep, String tp, String sp) {
    public static final MeshAxisNames DEFAULT = new MeshAxisNames("dp", "fsdp", "ep", "tp", "sp");

    public MeshAxisNames {
        for (String a : new String[] {dp, fsdp, ep, tp, sp}) {
            if (a == null || a.isEmpty()) throw new MoeException("MeshAxisNames: empty axis name");
        }
    }
}
