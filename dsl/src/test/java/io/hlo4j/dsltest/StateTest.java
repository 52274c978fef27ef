package io.hlo4j.dsltest;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Shape;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.nn.Init;
import io.hlo4j.dsl.nn.Mlp;
import io.hlo4j.dsl.nn.ParamScope;
import io.hlo4j.dsl.nn.Params;
import io.hlo4j.dsl.nn.StateDicts;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static io.hlo4j.dsltest.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateTest {
    @TempDir Path tmp;

    @Test
    void parametersAreNamedNestedAndDeterministic() {
        Mlp mlp = Mlp.of(DType.F32, 4, 8, 2);
        Map<String, HostArray> a = ParamScope.init(mlp, 7), b = ParamScope.init(mlp, 7), c = ParamScope.init(mlp, 8);
        assertThat(a.keySet()).containsExactly("layer0.b", "layer0.w", "layer1.b", "layer1.w");
        assertThat(a.get("layer0.w").shape()).containsExactly(4, 8);
        assertThat(a).isEqualTo(b);
        assertThat(a.get("layer0.w")).isNotEqualTo(c.get("layer0.w"));
        double bound = Math.sqrt(6.0 / 12);
        for (double v : a.get("layer0.w").toDoubleArray()) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
        assertThat(a.get("layer0.b").toDoubleArray()).containsOnly(0.0);
        // A layer's weights depend on its own path only: a wider model keeps layer0's initial weights.
        assertThat(ParamScope.init(Mlp.of(DType.F32, 4, 8, 3), 7).get("layer0.w")).isEqualTo(a.get("layer0.w"));
    }

    @Test
    void mlpForwardMatchesAPlainJavaForward() {
        Mlp mlp = Mlp.of(DType.F64, 3, 5, 2);
        Map<String, HostArray> state = ParamScope.init(mlp, 1);
        double[] xs = random(3, 12);
        HostArray x = f64(s(4, 3), xs);
        @SuppressWarnings("unchecked")
        HostArray y = Jit.jit(a -> mlp.apply(Params.of((Map<String, ?>) a[0]), (Tensor) a[1])).call1(state, x);
        double[] w0 = state.get("layer0.w").toDoubleArray(), b0 = state.get("layer0.b").toDoubleArray();
        double[] w1 = state.get("layer1.w").toDoubleArray(), b1 = state.get("layer1.b").toDoubleArray();
        double[] want = new double[8];
        for (int n = 0; n < 4; n++) {
            double[] h = new double[5];
            for (int j = 0; j < 5; j++) {
                h[j] = b0[j];
                for (int i = 0; i < 3; i++) h[j] += xs[n * 3 + i] * w0[i * 5 + j];
                h[j] = Math.max(0, h[j]);
            }
            for (int k = 0; k < 2; k++) {
                want[n * 2 + k] = b1[k];
                for (int j = 0; j < 5; j++) want[n * 2 + k] += h[j] * w1[j * 2 + k];
            }
        }
        assertClose(y, want, 1e-12);
    }

    @Test
    void npyFolderRoundTrip() throws IOException {
        Map<String, HostArray> s = ParamScope.init(Mlp.of(DType.F32, 2, 3), 5);
        StateDicts.saveNpy(tmp.resolve("ckpt"), s);
        assertThat(Files.exists(tmp.resolve("ckpt/layer0.w.npy"))).isTrue();
        assertThat(StateDicts.loadNpy(tmp.resolve("ckpt"))).isEqualTo(s);
    }

    /** The file bytes are laid out by hand here from the format description, independently of the writer. */
    static byte[] handMadeSafetensors(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
        out.writeBytes(h);
        out.writeBytes(data);
        return out.toByteArray();
    }

    @Test
    void safetensorsReadsAHandMadeFileAndRoundTrips() throws IOException {
        // a: f32 [2] = {1.0, -2.0}; b: i32 [] = 7 (little-endian bytes written out literally).
        byte[] data = {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0, 7, 0, 0, 0};
        String header = "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[8,12]}}";
        Path f = tmp.resolve("m.safetensors");
        Files.write(f, handMadeSafetensors(header, data));
        Map<String, HostArray> m = StateDicts.loadSafetensors(f);
        assertThat(m.get("a").toDoubleArray()).containsExactly(1.0, -2.0);
        assertThat(m.get("b").shape()).isEmpty();
        assertThat(m.get("b").getLong(0)).isEqualTo(7);

        Path g = tmp.resolve("again.safetensors");
        StateDicts.saveSafetensors(g, m);
        assertThat(StateDicts.loadSafetensors(g)).isEqualTo(m);
        assertThat((8 + ByteBuffer.wrap(Files.readAllBytes(g), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong()) % 8).isZero();
    }

    @Test
    void safetensorsSizesAreChecked() throws IOException {
        Path f = tmp.resolve("bad.safetensors");
        Files.write(f, handMadeSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(f)).hasMessageContaining("tensor a is F32[3] = 12 bytes but its offsets span 8");
        Files.write(f, handMadeSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]));
        assertThatThrownBy(() -> StateDicts.loadSafetensors(f)).hasMessageContaining("lie outside the data section of 8 bytes");
        byte[] huge = handMadeSafetensors("{}", new byte[0]);
        huge[0] = (byte) 0xff; // header length far beyond the file
        Files.write(f, huge);
        assertThatThrownBy(() -> StateDicts.loadSafetensors(f)).hasMessageContaining("does not fit the file");
    }

    @Test
    void initialisersAreDeterministicByPath() {
        HostArray a = Init.normal(1).create(3, "x.w", Shape.of(1000), DType.F64);
        assertThat(Init.normal(1).create(3, "x.w", Shape.of(1000), DType.F64)).isEqualTo(a);
        double m = 0;
        for (double v : a.toDoubleArray()) m += v / 1000;
        assertThat(m).isBetween(-0.15, 0.15);
    }
}
