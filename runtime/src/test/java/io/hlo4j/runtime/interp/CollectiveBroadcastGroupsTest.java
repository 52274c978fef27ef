package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Found by the structure fuzz (compiler/.../fuzz/StructureFuzzTest, a mutant of interpret/collective_broadcast.mlir: its variadic dynamic-root
 * function run on its own, on one process): a replica group naming a process the run does not have made
 * collective_broadcast read past the exchanged values (an IndexOutOfBoundsException inside the kernel). Its groups are
 * now checked against the run's processes first, as collective_permute checks its pairs.
 */
class CollectiveBroadcastGroupsTest {
    private static void refused(String groups, String root, String says) {
        boolean dynamic = root != null;
        Module m = MlirParser.parseModule("""
                func.func @main(%x: tensor<2xi64>%ROOTARG) -> tensor<2xi64> {
                  %r = "stablehlo.collective_broadcast"(%x%ROOTUSE) {replica_groups = dense<GROUPS> : tensor<1x2xi64>%FLAG}
                      : (tensor<2xi64>%ROOTTYPE) -> tensor<2xi64>
                  return %r : tensor<2xi64>
                }
                """.replace("GROUPS", groups).replace("%ROOTARG", dynamic ? ", %root: tensor<i32>" : "").replace("%ROOTUSE", dynamic ? ", %root" : "")
                .replace("%FLAG", dynamic ? ", has_dynamic_root" : "").replace("%ROOTTYPE", dynamic ? ", tensor<i32>" : ""), "bcast.mlir");
        List<RtValue> args = new java.util.ArrayList<>(List.of(HostArrays.toTensor(HostArray.fromLongs(TensorType.of(IntegerType.I64, 2), 5, 6))));
        if (dynamic) args.add(HostArrays.toTensor(HostArray.fromLongs(TensorType.scalar(IntegerType.I32), Long.parseLong(root))));
        Interpreter interp = new Interpreter(m);
        assertThatThrownBy(() -> interp.call(m.entryFunction(), args, Process.single()))
                .isInstanceOfSatisfying(InterpreterException.class, e -> {
                    assertThat(e.format()).isEqualTo(says);
                    assertThat(e.getCause()).isNull();
                });
    }

    @Test void aGroupWhoseFirstMemberIsNotAProcessIsRefused() {
        refused("[[1, 0]]", null, "bcast.mlir:2:3: stablehlo.collective_broadcast: replica_groups id 1 (group [1, 0]) is outside [0, 1)");
    }

    @Test void aDynamicRootNamingAMemberThatIsNotAProcessIsRefused() {
        refused("[[0, 1]]", "1", "bcast.mlir:2:3: stablehlo.collective_broadcast: replica_groups id 1 (group [0, 1]) is outside [0, 1)");
    }
}
