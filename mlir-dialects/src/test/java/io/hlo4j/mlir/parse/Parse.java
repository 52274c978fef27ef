package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.types.Type;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Small helpers: parse one type or attribute through an unregistered generic op. */
final class Parse {
    private Parse() {}

    static Module module(String text) { return MlirParser.parseModule(text, "t.mlir"); }

    static Operation firstOp(String text) { return module(text).operations().get(0); }

    static Type type(String t) { return firstOp("\"test.op\"() : () -> (" + t + ")").result(0).type(); }

    static Attribute attr(String a) { return firstOp("\"test.op\"() {a = " + a + "} : () -> ()").attributes().get("a"); }

    /** The formatted error ({@code file:line:col: message}) parsing {@code text} raises. */
    static String error(String text) {
        ParseException e = catchThrowableOfType(ParseException.class, () -> MlirParser.parseSplit(text, "t.mlir"));
        if (e == null) throw new AssertionError("expected a ParseException for: " + text);
        return e.format();
    }

    static void fails(String text, String fragment) {
        assertThatThrownBy(() -> MlirParser.parseSplit(text, "t.mlir")).isInstanceOf(ParseException.class).hasMessageContaining(fragment);
    }
}
