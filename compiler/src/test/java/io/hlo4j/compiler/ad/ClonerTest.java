package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The variants of the one deep copy: each copy is printed and compared with a program written by hand (the expected
 * result), so nested regions (a while body holding an all_reduce holding its combiner) are checked op by op.
 */
class ClonerTest {
    /** ATTRS_A/ATTRS_B: an sdy.sharding attribute or nothing; HANDLE_A/HANDLE_B: the two channel handles. */
    private static final String PROGRAM = """
            module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {
              sdy.mesh @mesh = <["x"=2]>
              func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
                %s = "stablehlo.all_reduce"(%x) <{channel_handle = #stablehlo.channel_handle<handle = HANDLE_A, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids}> ({
                ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                  %t = stablehlo.add %a, %b : tensor<f32>
                  stablehlo.return %t : tensor<f32>
                }) ATTRS_A : (tensor<4xf32>) -> tensor<4xf32>
                %c0 = stablehlo.constant dense<0> : tensor<i32>
                %r:2 = "stablehlo.while"(%c0, %s) ({
                ^bb0(%i: tensor<i32>, %v: tensor<4xf32>):
                  %c3 = stablehlo.constant dense<3> : tensor<i32>
                  %p = stablehlo.compare LT, %i, %c3 : (tensor<i32>, tensor<i32>) -> tensor<i1>
                  stablehlo.return %p : tensor<i1>
                }, {
                ^bb0(%i: tensor<i32>, %v: tensor<4xf32>):
                  %w = "stablehlo.all_reduce"(%v) <{channel_handle = #stablehlo.channel_handle<handle = HANDLE_B, type = 1>, replica_groups = dense<[[0, 1]]> : tensor<1x2xi64>, use_global_device_ids}> ({
                  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
                    %t = stablehlo.add %a, %b : tensor<f32>
                    stablehlo.return %t : tensor<f32>
                  }) ATTRS_B : (tensor<4xf32>) -> tensor<4xf32>
                  %one = stablehlo.constant dense<1> : tensor<i32>
                  %n = stablehlo.add %i, %one : tensor<i32>
                  stablehlo.return %n, %w : tensor<i32>, tensor<4xf32>
                }) : (tensor<i32>, tensor<4xf32>) -> (tensor<i32>, tensor<4xf32>)
                return %r#1 : tensor<4xf32>
              }
            }
            """;
    private static final String SHARDED = "{sdy.sharding = #sdy.sharding_per_value<[<@mesh, [{\"x\"}]>]>}";

    private static Module program(String h1, String h2, String sharding) {
        return MlirParser.parseModule(PROGRAM.replace("HANDLE_A", h1).replace("HANDLE_B", h2).replace("ATTRS_A", sharding).replace("ATTRS_B", sharding), "m.mlir");
    }

    private static String copied(Module m, Cloner.Options o) {
        return MlirPrinter.print(new Module(Cloner.copy(m.op(), new HashMap<>(), o).build()));
    }

    @Test
    void keepCopiesEverything() {
        Module m = program("1", "2", SHARDED);
        assertThat(MlirPrinter.print(m)).as("the printer shows what the copy must keep").contains("sdy.sharding_per_value", "handle = 2");
        assertThat(copied(m, Cloner.Options.KEEP)).isEqualTo(MlirPrinter.print(m));
    }

    @Test
    void droppedAttributesAndFreshChannelsReachNestedOps() {
        long[] next = {100};
        Cloner.Options o = Cloner.Options.KEEP.dropping("sdy.sharding").renumbering(() -> new ChannelHandle(next[0]++, 1));
        assertThat(copied(program("1", "2", SHARDED), o)).isEqualTo(MlirPrinter.print(program("100", "101", "")));
        assertThat(next[0]).as("one fresh handle per collective").isEqualTo(102);
    }

    @Test
    void outsideValuesAreKeptOrRefused() {
        Module m = program("1", "2", "");
        Operation allReduce = m.symbols().lookup("main").region(0).entry().operations().get(0);
        Value x = allReduce.operand(0);
        Map<Value, Value> map = new HashMap<>();
        assertThat(Cloner.copy(allReduce, map, Cloner.Options.KEEP).build().operand(0)).isSameAs(x);
        Cloner.Options refuse = Cloner.Options.KEEP.outside((v, user) -> {
            throw new Hlo4jException("'" + user.name() + "' uses " + v.type() + " from outside", user.location());
        });
        assertThatThrownBy(() -> Cloner.copy(allReduce, new HashMap<>(), refuse))
                .isInstanceOf(Hlo4jException.class).hasMessageContaining("'stablehlo.all_reduce' uses tensor<4xf32> from outside");
    }
}
