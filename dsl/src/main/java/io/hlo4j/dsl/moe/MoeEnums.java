package io.hlo4j.dsl.moe;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Shared helpers of the MoE string enums. */
final class MoeEnums {
    private MoeEnums() {}

    static String valueList(Object[] members) {
        return Arrays.stream(members).map(m -> "'" + m + "'").collect(Collectors.joining(", "));
    }
}
