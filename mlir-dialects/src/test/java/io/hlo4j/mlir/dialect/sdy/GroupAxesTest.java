package io.hlo4j.mlir.dialect.sdy;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link GroupAxes#exact} against groups built here by bit arithmetic: on ["x"=8, "y"=2] (device d = 2 x + y, x's bits
 * x2 x1 x0 major to minor) every subset of the four bits x2, x1, x0, y is reduced over (the groups: devices equal on
 * the other bits), and the name is what Shardy writes for those bits: a run of x's bits is one sub-axis {@code x:(pre)size}
 * (pre = 2^(bits above the run), size = 2^(its length)), all three are {@code x}, and runs that are not adjacent are
 * several sub-axes of x ({@code x:(1)2,x:(4)2}).
 */
class GroupAxesTest {
    private static final MeshAttr X8Y2 = MeshAttr.of(new MeshAttr.Axis("x", 8), new MeshAttr.Axis("y", 2));

    @Test
    void everySetOfBitsOfX8Y2IsNamedAsShardyWritesIt() {
        for (int bits = 0; bits < 16; bits++) {   // bit 3: x2, bit 2: x1, bit 1: x0, bit 0: y (device d's own bits)
            int mask = bits;
            Map<Integer, List<Long>> byKey = new TreeMap<>();
            for (long d = 0; d < 16; d++) byKey.computeIfAbsent((int) d & ~mask, k -> new ArrayList<>()).add(d);
            List<List<Long>> groups = List.copyOf(byKey.values());
            assertThat(GroupAxes.exact(X8Y2, groups)).as("bits %s, groups %s", Integer.toBinaryString(mask), groups)
                    .contains(expected(mask));
        }
    }

    /** x's selected bits as runs (major first), then y. */
    private static List<String> expected(int mask) {
        List<String> out = new ArrayList<>();
        int xb = mask >> 1;   // x2 x1 x0
        if (xb == 0b111) out.add("x");
        else {
            int i = 2;   // from the major bit down
            while (i >= 0) {
                if ((xb >> i & 1) == 0) { i--; continue; }
                int top = i;
                while (i >= 0 && (xb >> i & 1) == 1) i--;
                int len = top - i, above = 2 - top;
                out.add("x:(" + (1 << above) + ")" + (1 << len));
            }
        }
        if ((mask & 1) != 0) out.add("y");
        return out;
    }

    @Test
    void theOddRunsAreTheTwoSeparateSubAxes() {
        // the case the review named: x:(1)2 and x:(4)2 on x=8 (d / 4 and d % 2 vary, (d / 2) % 2 fixed)
        MeshAttr x8 = MeshAttr.of(new MeshAttr.Axis("x", 8));
        assertThat(GroupAxes.exact(x8, List.of(List.of(0L, 1L, 4L, 5L), List.of(2L, 3L, 6L, 7L)))).contains(List.of("x:(1)2", "x:(4)2"));
    }

    @Test
    void anAxisOfTwelveHasTwoWaysToSkipItsMiddle() {
        MeshAttr x12 = MeshAttr.of(new MeshAttr.Axis("x", 12));
        // 12 = 2 x 3 x 2: d / 6 and d % 2 vary, the middle (d / 2) % 3 is fixed
        assertThat(GroupAxes.exact(x12, List.of(List.of(0L, 1L, 6L, 7L), List.of(2L, 3L, 8L, 9L), List.of(4L, 5L, 10L, 11L))))
                .contains(List.of("x:(1)2", "x:(6)2"));
        // 12 = 2 x 2 x 3: d / 6 and d % 3 vary, the middle (d / 3) % 2 is fixed
        assertThat(GroupAxes.exact(x12, List.of(List.of(0L, 1L, 2L, 6L, 7L, 8L), List.of(3L, 4L, 5L, 9L, 10L, 11L))))
                .contains(List.of("x:(1)2", "x:(4)3"));
        // no sub-axes cut this way: {0, 3} and {1, 2} ... on 12 as pairs that differ by 3 then by 1
        assertThat(GroupAxes.exact(x12, List.of(List.of(0L, 3L), List.of(1L, 2L), List.of(4L, 7L), List.of(5L, 6L),
                List.of(8L, 11L), List.of(9L, 10L)))).isEmpty();
    }

    @Test
    void theCandidatesOfAnAxisAreShardysCanonicalOnes() {
        // x=8: the whole axis, the five single sub-axes, and the one pair that is not adjacent
        assertThat(GroupAxes.candidates("x", 8)).extracting(c -> c.stream().map(r -> r.isSubAxis()
                        ? r.name() + ":(" + r.preSize() + ")" + r.size() : r.name()).toList())
                .containsExactly(List.of("x"), List.of("x:(1)2"), List.of("x:(1)4"), List.of("x:(2)2"), List.of("x:(2)4"),
                        List.of("x:(4)2"), List.of("x:(1)2", "x:(4)2"));
    }

    /**
     * The count of candidates, against a count made here: on x = 2^e the sub-axes are the pairs of distinct divisors
     * 2^i < 2^j, and a canonical chain of k of them is 2k distinct exponents out of 0..e, so there are
     * sum over k >= 1 of C(e + 1, 2k) = 2^e - 1 chains, less (1)2^e (the whole axis, listed once, first): 2^e - 1 candidates
     * in all. Past 4096 the list stops there, every single sub-axis (C(e + 1, 2) - 1 of them) before any pair; a highly
     * divisible axis (720720 = 2^4 3^2 5 7 11 13) stops at 4096 too. It used to test the cap only after each whole
     * loop over sizes: 58,719 candidates for 720720, while exact() tried the first 4096.
     */
    @Test
    void theCandidatesOfALargeAxisStopAtTheCap() {
        for (int e = 1; e <= 12; e++) assertThat(GroupAxes.candidates("x", 1L << e).size()).as("x=2^%d", e).isEqualTo((1 << e) - 1);
        List<List<AxisRef>> big = GroupAxes.candidates("x", 1L << 13);
        assertThat(big.size()).isEqualTo(4096);
        int singles = 14 * 13 / 2 - 1;
        for (int k = 1; k <= singles; k++) assertThat(big.get(k).size()).as("candidate %d", k).isEqualTo(1);
        assertThat(big.get(1 + singles).size()).isEqualTo(2);
        List<List<AxisRef>> divisible = GroupAxes.candidates("x", 720720);
        assertThat(divisible.size()).isEqualTo(4096);
        assertThat(new java.util.HashSet<>(divisible).size()).isEqualTo(4096);
    }
}
