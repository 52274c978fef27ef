package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.Set;

/** {@code #stablehlo.channel_handle<handle = 1, type = 0>}; both fields are required. */
public record ChannelHandle(long handle, long type) implements DialectAttribute {
    @Override public String name() { return "stablehlo.channel_handle"; }

    @Override public String toString() { return "#stablehlo.channel_handle<handle = " + handle + ", type = " + type + ">"; }

    public static ChannelHandle parse(AsmParser p) {
        long[] v = new long[2];
        Set<String> seen = new StructFields("stablehlo.channel_handle")
                .field("handle", () -> v[0] = p.parseInteger())
                .field("type", () -> v[1] = p.parseInteger())
                .parse(p);
        if (seen.size() != 2) throw p.error("#stablehlo.channel_handle needs both 'handle' and 'type'");
        return new ChannelHandle(v[0], v[1]);
    }
}
