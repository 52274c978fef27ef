package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.DialectType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.OpaqueType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.TokenType;
import io.hlo4j.mlir.types.Type;

import java.util.List;
import java.util.Set;

import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.fail;
import static io.hlo4j.mlir.dialect.stablehlo.RegionChecks.tensor;

/**
 * Token ops (after_all, create_token, infeed, outfeed, send, recv), random numbers (rng, rng_bit_generator)
 * and the async pair (async_start, async_done).
 */
final class MiscOps {
    private MiscOps() {}

    static void register(OpRegistry registry) {
        CollectiveOps.TensorTypeInference token = new CollectiveOps.TensorTypeInference(TokenType.INSTANCE);
        registry.register(OpDef.builder("stablehlo.after_all").summary("AfterAll operation")
                .syntax(MiscSyntax.variadicSameOperandsAndResultType(Set.of())).verifier(MiscOps::verifyAfterAll)
                .inference(token::infer).build());
        registry.register(OpDef.builder("stablehlo.create_token").summary("CreateToken operation (legacy after_all with no inputs)")
                .syntax(MiscSyntax.attrDictColonResultType(Set.of())).verifier(MiscOps::verifyCreateToken)
                .inference(token::infer).build());
        registry.register(OpDef.builder("stablehlo.infeed").summary("Infeed operation").inherent("infeed_config", "layout")
                .syntax(OpSyntax.GENERIC).verifier(MiscOps::verifyInfeed).traits(OpTrait.HAS_SIDE_EFFECT).build());
        registry.register(OpDef.builder("stablehlo.outfeed").summary("Outfeed operation").inherent("outfeed_config")
                .syntax(OpSyntax.GENERIC).verifier(MiscOps::verifyOutfeed).traits(OpTrait.HAS_SIDE_EFFECT)
                .inference(token::infer).build());
        registry.register(OpDef.builder("stablehlo.send").summary("Send operation")
                .inherent("channel_handle", "is_host_transfer", "source_target_pairs")
                .syntax(OpSyntax.GENERIC).verifier(MiscOps::verifySend).traits(OpTrait.HAS_SIDE_EFFECT)
                .inference(token::infer).build());
        registry.register(OpDef.builder("stablehlo.recv").summary("Recv operation")
                .inherent("channel_handle", "is_host_transfer", "source_target_pairs")
                .syntax(OpSyntax.GENERIC).verifier(MiscOps::verifyRecv).traits(OpTrait.HAS_SIDE_EFFECT).build());
        registry.register(OpDef.builder("stablehlo.rng").summary("Rng operation").inherent("rng_distribution")
                .syntax(MiscRngSyntax.rng(Set.of("rng_distribution"))).verifier(MiscOps::verifyRng)
                .traits(OpTrait.HAS_SIDE_EFFECT).build());
        registry.register(OpDef.builder("stablehlo.rng_bit_generator").summary("RngBitGenerator operation").inherent("rng_algorithm")
                .syntax(MiscRngSyntax.rngBitGenerator(Set.of("rng_algorithm"))).verifier(MiscOps::verifyRngBitGenerator).build());
        registry.register(OpDef.builder("stablehlo.async_start").summary("AsyncStart operation")
                .syntax(OpSyntax.GENERIC).verifier(MiscOps::verifyAsyncStart).traits(OpTrait.ISOLATED_FROM_ABOVE).build());
        registry.register(OpDef.builder("stablehlo.async_done").summary("AsyncDone operation")
                .syntax(OpSyntax.GENERIC).verifier(MiscOps::verifyAsyncDone).build());
    }

    private static boolean isToken(Type t) { return t instanceof TokenType; }

    private static void verifyAfterAll(Operation op) {
        for (int i = 0; i < op.numOperands(); i++) {
            if (!isToken(op.operand(i).type())) throw fail(op, "after_all_i1", "input #" + i + " must be a token, but got " + op.operand(i).type());
        }
        if (op.numResults() != 1 || !isToken(op.resultTypes().get(0))) {
            throw fail(op, "after_all_c1", "result must be one !stablehlo.token, but got " + op.resultTypes());
        }
    }

    private static void verifyCreateToken(Operation op) {
        if (op.numOperands() != 0 || op.numResults() != 1 || !isToken(op.resultTypes().get(0))) {
            throw fail(op, "create_token", "takes no operands and returns one !stablehlo.token");
        }
    }

    /** infeed_c1..c3 and the optional layout: tensors then a token; one layout (array of ints) per tensor. */
    private static void verifyInfeed(Operation op) {
        if (op.numOperands() != 1 || !isToken(op.operand(0).type())) {
            throw fail(op, "infeed_i1", "expects one !stablehlo.token operand, but got " + op.operandTypes());
        }
        configString(op, "infeed_config", "infeed_i2");
        List<Type> results = op.resultTypes();
        if (results.isEmpty()) throw fail(op, "infeed_c1", "result is expected to be at least of size 1, but got 0");
        for (Type t : results.subList(0, results.size() - 1)) {
            if (!(t instanceof TensorType)) {
                throw fail(op, "infeed_c2", "all elements of result types, except the last element, are expected to be of tensor type,"
                        + " but got " + t);
            }
        }
        if (!isToken(results.get(results.size() - 1))) {
            throw fail(op, "infeed_c3", "last element of result types is expected to be of token type, but got "
                    + results.get(results.size() - 1));
        }
        Attribute layout = op.attr("layout");
        if (layout == null) return;
        if (!(layout instanceof ArrayAttr arr)) throw fail(op, "infeed_layout", "layout-attribute expected to be of array-type.");
        if (arr.size() != results.size() - 1) {
            throw fail(op, "infeed_layout", "layout-attribute size must be " + (results.size() - 1)
                    + " (which is the number of op-results - 1 (for token result)), but got " + arr.size());
        }
        for (Attribute child : arr.elements()) {
            if (!(child instanceof ArrayAttr c)) {
                throw fail(op, "infeed_layout", "layout-attribute expected to have elements of type array, but got " + child);
            }
            for (Attribute leaf : c.elements()) {
                if (!(leaf instanceof IntegerAttr)) {
                    throw fail(op, "infeed_layout", "layout-attribute's leaf elements are expected to be of type integer, but got " + leaf);
                }
            }
        }
    }

    private static void configString(Operation op, String name, String rule) {
        Attribute a = op.attr(name);
        if (a != null && !(a instanceof StringAttr)) throw fail(op, rule, name + " must be a string, but got " + a);
    }

    /** Tensors then a trailing token operand; one token result. */
    private static void tensorsThenToken(Operation op, String inputsRule, String tokenRule) {
        if (op.numOperands() == 0 || !isToken(op.operand(op.numOperands() - 1).type())) {
            throw fail(op, tokenRule, "expects a trailing !stablehlo.token operand, but got " + op.operandTypes());
        }
        for (int i = 0; i < op.numOperands() - 1; i++) {
            if (!(op.operand(i).type() instanceof TensorType)) {
                throw fail(op, inputsRule, "input #" + i + " must be a tensor, but got " + op.operand(i).type());
            }
        }
        if (op.numResults() != 1 || !isToken(op.resultTypes().get(0))) {
            throw fail(op, tokenRule, "result must be one !stablehlo.token, but got " + op.resultTypes());
        }
    }

    private static void verifyOutfeed(Operation op) {
        tensorsThenToken(op, "outfeed_i1", "outfeed_i2");
        configString(op, "outfeed_config", "outfeed_i3");
    }

    /** channel_type must be DEVICE_TO_DEVICE (1) without host transfer, {@code hostType} with it. */
    private static void checkChannel(Operation op, String rule, long hostType, String hostName) {
        long[] handle = RegionChecks.channelHandle(op, rule);
        if (handle == null) throw fail(op, rule, "requires attribute 'channel_handle'");
        boolean host = RegionChecks.bool(op, "is_host_transfer", rule);
        if (!host && handle[1] != 1) {
            throw fail(op, rule, "channel_type should be DEVICE_TO_DEVICE when is_host_transfer is false");
        }
        if (host && handle[1] != hostType) {
            throw fail(op, rule, "channel_type should be " + hostName + " when is_host_transfer is true");
        }
        RegionChecks.DenseInts pairs = RegionChecks.denseInts(op, "source_target_pairs", rule);
        if (pairs != null && (pairs.shape().length != 2 || pairs.shape()[1] != 2)) {
            throw fail(op, rule, "source_target_pairs must have shape (N, 2), but got " + op.attr("source_target_pairs"));
        }
    }

    private static void verifySend(Operation op) {
        tensorsThenToken(op, "send_i1", "send_i2");
        checkChannel(op, "send_c1", 2, "DEVICE_TO_HOST");
    }

    private static void verifyRecv(Operation op) {
        if (op.numOperands() != 1 || !isToken(op.operand(0).type())) {
            throw fail(op, "recv_i1", "expects one !stablehlo.token operand, but got " + op.operandTypes());
        }
        checkChannel(op, "recv_c1", 3, "HOST_TO_DEVICE");
        List<Type> results = op.resultTypes();
        if (results.isEmpty()) throw fail(op, "recv_c2", "result is expected to be at least of size 1, but got 0");
        for (Type t : results.subList(0, results.size() - 1)) {
            if (!(t instanceof TensorType)) {
                throw fail(op, "recv_c3", "everything but the last element of result types is expected to be of tensor type, but got " + t);
            }
        }
        if (!isToken(results.get(results.size() - 1))) {
            throw fail(op, "recv_c4", "last element of result types is expected to be of token type, but got "
                    + results.get(results.size() - 1));
        }
    }

    /** rng: scalar a and b of the result's element type; NORMAL needs floats; shape is a 1-D integer tensor. */
    private static void verifyRng(Operation op) {
        if (op.numOperands() != 3 || op.numResults() != 1) {
            throw fail(op, "rng_i1", "expects operands (a, b, shape) and one result, but has " + op.numOperands() + " and " + op.numResults());
        }
        TensorType a = tensor(op, op.operand(0).type(), "a", "rng_i1");
        TensorType b = tensor(op, op.operand(1).type(), "b", "rng_i2");
        TensorType shape = tensor(op, op.operand(2).type(), "shape", "rng_i3");
        TensorType result = tensor(op, op.resultTypes().get(0), "result", "rng_c1");
        if (a.rank() != 0 || b.rank() != 0) throw fail(op, "rng_i1", "a and b must be 0-d tensors, but got " + a + " and " + b);
        if (!a.elementType().equals(result.elementType()) || !b.elementType().equals(result.elementType())) {
            throw fail(op, "rng_c1", "a, b and result must have the same element type, but got " + a + ", " + b + " and " + result);
        }
        if (shape.rank() != 1 || !(shape.elementType() instanceof IntegerType) || shape.dim(0) == TensorType.DYNAMIC) {
            throw fail(op, "rng_i3", "shape must be a statically shaped 1-D integer tensor, but got " + shape);
        }
        if (shape.dim(0) != result.rank()) {
            throw fail(op, "rng_c2", "result rank " + result.rank() + " must equal the size of shape " + shape.dim(0));
        }
        Attribute dist = op.attr("rng_distribution");
        if (dist == null) throw fail(op, "rng_i4", "requires attribute 'rng_distribution'");
        String kind = MiscRngSyntax.enumKeyword(dist, "rng_distribution");
        if (kind == null) throw fail(op, "rng_i4", "rng_distribution must be #stablehlo<rng_distribution UNIFORM|NORMAL>, but got " + dist);
        if (kind.equals("NORMAL") && !(a.elementType() instanceof FloatType)) {
            throw fail(op, "rng_c1", "mu and sigma must be floats");
        }
    }

    private static void verifyRngBitGenerator(Operation op) {
        if (op.numOperands() != 1 || op.numResults() != 2) {
            throw fail(op, "rng_bit_generator_i2", "expects one operand and two results, but has " + op.numOperands()
                    + " and " + op.numResults());
        }
        Attribute alg = op.attr("rng_algorithm");
        if (alg == null || MiscRngSyntax.enumKeyword(alg, "rng_algorithm") == null) {
            throw fail(op, "rng_bit_generator_i1", "rng_algorithm must be #stablehlo<rng_algorithm DEFAULT|THREE_FRY|PHILOX>, but got " + alg);
        }
        TensorType initial = tensor(op, op.operand(0).type(), "initial_state", "rng_bit_generator_i2");
        TensorType outState = tensor(op, op.resultTypes().get(0), "output_state", "rng_bit_generator_c1");
        TensorType output = tensor(op, op.resultTypes().get(1), "output", "rng_bit_generator_c3");
        if (!RegionChecks.compatibleShapes(initial.shape(), outState.shape())) {
            throw fail(op, "rng_bit_generator_c1", "output state shape must be compatible with initial state shape. Got: "
                    + initial + " and " + outState);
        }
        if (!initial.elementType().equals(outState.elementType())) {
            throw fail(op, "rng_bit_generator_c1", "output_state must have the type of initial_state, but got " + outState
                    + " for " + initial);
        }
        if (!output.hasStaticShape()) throw fail(op, "rng_bit_generator_c3", "output must have a static shape, but got " + output);
    }

    private static boolean isFuture(Type t) {
        return (t instanceof DialectType d && d.name().equals("stablehlo.future"))
                || (t instanceof OpaqueType o && o.text().startsWith("!stablehlo.future<"));
    }

    private static void verifyAsyncStart(Operation op) {
        RegionChecks.expectRegions(op, 1, "async_start");
        RegionChecks.block(op, 0, "body", "async_start");
        if (op.numResults() != 1 || !isFuture(op.resultTypes().get(0))) {
            throw fail(op, "async_start", "result must be one !stablehlo.future<...>, but got " + op.resultTypes());
        }
    }

    private static void verifyAsyncDone(Operation op) {
        if (op.numOperands() != 1 || !isFuture(op.operand(0).type())) {
            throw fail(op, "async_done", "operand must be one !stablehlo.future<...>, but got " + op.operandTypes());
        }
        if (op.numResults() != 1 || !(op.resultTypes().get(0) instanceof TensorType)) {
            throw fail(op, "async_done", "result must be one tensor, but got " + op.resultTypes());
        }
    }
}
