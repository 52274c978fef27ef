package io.hlo4j.dsltest.testing;

import java.util.ArrayList;
import java.util.List;

/** The 5D model meshes (dp, fsdp, ep, tp, sp) of a device count, for tests that sweep every one of them. */
public final class MeshFactorisations {
    private MeshFactorisations() {}

    /** Every ordered 5-tuple of positive sizes with product {@code devices}, in lexicographic order. */
    public static List<int[]> of(int devices) {
        List<int[]> out = new ArrayList<>();
        rec(devices, new int[5], 0, out);
        return out;
    }

    private static void rec(int left, int[] cur, int i, List<int[]> out) {
        if (i == 4) {
            cur[4] = left;
            out.add(cur.clone());
            return;
        }
        for (int f = 1; f <= left; f++) {
            if (left % f == 0) {
                cur[i] = f;
                rec(left / f, cur, i + 1, out);
            }
        }
    }
}
