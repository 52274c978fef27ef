package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;

/**
 * Writes the IR as MLIR text, matching upstream's canonical output ({@code stablehlo-opt}'s default print):
 * pretty forms where the op declares one, generic forms otherwise (or everywhere with
 * {@link PrintOptions#generic()}), MLIR's SSA naming, and with {@link PrintOptions#locations()} an inline
 * {@code loc(...)} after every op and block/function argument (MLIR's {@code -mlir-print-debuginfo
 * -mlir-print-local-scope} style: no {@code #loc} aliases). Text nested deeper than the parser reads back
 * ({@link io.hlo4j.mlir.parse.MlirParser#MAX_NESTING} levels of brackets) is refused with a {@link PrintLimitException}.
 */
public final class MlirPrinter {
    private MlirPrinter() {}

    public static String print(Module module, PrintOptions options) {
        return print(module.op(), options);
    }

    public static String print(Module module) { return print(module, PrintOptions.DEFAULT); }

    /**
     * Prints a single operation (and its regions) as it would appear inside a module. Values defined outside
     * it print as {@code <<UNKNOWN SSA VALUE>>}, as MLIR does.
     */
    public static String print(Operation op, PrintOptions options) {
        NestingLimit.checkRegions(op); // before the printer recurses into regions
        StringBuilder sb = new StringBuilder();
        new OpPrinter(sb, options, op).printOperation(op);
        String text = sb.append('\n').toString();
        NestingLimit.checkText(text, op, options); // what the parser would refuse is refused here, by name
        return text;
    }
}
