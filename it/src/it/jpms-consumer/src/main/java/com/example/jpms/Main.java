package com.example.jpms;

import com.example.jpms.hidden.Hidden;
import com.example.jpms.model.Linear;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.grad.ValueAndGrad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.Jit1;
import io.hlo4j.dsl.jit.Jit2;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.runtime.array.HostArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A JPMS user's program: module com.example.jpms ({@code requires io.hlo4j.dsl;}), compiled by javac on the module
 * path and run with {@code java --module-path ... -m com.example.jpms/com.example.jpms.Main}, nothing added. A
 * linear layer's loss and gradient through a record of parameters (jit reads and rebuilds the record reflectively, so
 * its package is opened to io.hlo4j.dsl), checked against plain Java; a record in a package that is not opened,
 * refused naming the {@code opens} line; source locations naming this file; an MoE config through JSON (Jackson, an
 * explicit module that hlo4j's automatic modules cannot require). Exits 1 on any difference.
 */
public final class Main {
    private static final List<String> failures = new ArrayList<>();

    public static void main(String[] args) {
        modules();
        linear();
        hidden();
        json();
        if (!failures.isEmpty()) {
            failures.forEach(f -> System.err.println("jpms consumer: FAILED " + f));
            System.exit(1);
        }
        System.out.println("jpms consumer (module com.example.jpms): all checks passed");
    }

    static void modules() {
        String[][] want = {{Main.class.getModule().getName(), "com.example.jpms"},
                {Tensor.class.getModule().getName(), "io.hlo4j.dsl"}, {HostArray.class.getModule().getName(), "io.hlo4j.runtime"}};
        for (String[] w : want) if (!w[1].equals(w[0])) failures.add("module " + w[0] + ", expected " + w[1]);
        if (!Tensor.class.getModule().getDescriptor().isAutomatic()) failures.add("io.hlo4j.dsl is not an automatic module");
    }

    /** loss = mean(tanh(x w + b)^2) for x [3, 2], w [2], b [3], and its gradient in the record (w, b). */
    static void linear() {
        Jit2<Linear<Tensor>, Tensor, ValueAndGrad<Tensor, Linear<Tensor>>> vg = Jit.of("linear",
                (Linear<Tensor> p, Tensor x) -> Grad.valueAndGradOf(Main::loss).apply(p, x));
        double[] w = {0.5, -0.25}, b = {0.1, -0.2, 0.3}, x = {1, 2, 3, 4, 5, 6};
        Linear<HostArray> p = new Linear<>(f32(w, 2), f32(b, 3));
        ValueAndGrad<HostArray, Linear<HostArray>> r = vg.call(p, f32(x, 3, 2), ValueAndGrad.class);

        // By hand: z = x w + b, dL/dz = 2 tanh(z) (1 - tanh(z)^2) / 3; dL/dw = x^T dL/dz, dL/db = dL/dz.
        double loss = 0;
        double[] gw = new double[2], gb = new double[3];
        for (int n = 0; n < 3; n++) {
            double t = Math.tanh(x[2 * n] * w[0] + x[2 * n + 1] * w[1] + b[n]);
            loss += t * t / 3;
            gb[n] = 2 * t * (1 - t * t) / 3;
            gw[0] += gb[n] * x[2 * n];
            gw[1] += gb[n] * x[2 * n + 1];
        }
        check("linear loss", r.value().toDoubleArray(), new double[]{loss});
        check("linear d/dw", r.grad().w().toDoubleArray(), gw);
        check("linear d/db", r.grad().b().toDoubleArray(), gb);

        // Every op records the user's line: the first stack frame outside hlo4j, here in this module.
        String text = vg.lower(new Linear<>(Spec.of(DType.F32, 2), Spec.of(DType.F32, 3)), Spec.of(DType.F32, 3, 2)).asTextWithLocations();
        if (!text.contains("Main.java")) failures.add("the lowered program's locations do not name Main.java:\n" + text);
        else System.out.println("jpms consumer: locations name Main.java");
    }

    static Tensor loss(Linear<Tensor> p, Tensor x) {
        return x.matmul(p.w()).add(p.b()).tanh().square().mean();
    }

    /** A record in a package that is neither exported nor opened: refused with the line module-info.java needs. */
    static void hidden() {
        Jit1<Hidden<Tensor>, Tensor> sum = Jit.of("hidden", (Hidden<Tensor> h) -> h.w().sum());
        String want = "opens com.example.jpms.hidden to io.hlo4j.dsl;";
        try {
            HostArray r = sum.call(new Hidden<>(f32(new double[]{1, 2}, 2)), HostArray.class);
            failures.add("a record of a package not opened to io.hlo4j.dsl was read: " + r);
        } catch (RuntimeException e) {
            StringBuilder messages = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) messages.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
            if (!messages.toString().contains(want)) failures.add("the refusal does not say `" + want + "`:\n" + messages);
            else System.out.println("jpms consumer: a record not opened to io.hlo4j.dsl is refused: " + e.getMessage());
        }
    }

    static void json() {
        MoeConfig cfg = MoeConfig.of(8, 2, 16, 32);
        MoeConfig back = MoeConfigJson.parse(MoeConfigJson.write(cfg));
        if (!back.equals(cfg)) failures.add("moe config JSON round trip: " + back + ", expected " + cfg);
        else System.out.println("jpms consumer: moe config JSON round trip ok");
    }

    static void check(String what, double[] got, double[] want) {
        boolean ok = got.length == want.length;
        for (int i = 0; ok && i < got.length; i++) ok = Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i]));
        if (!ok) failures.add(what + ": " + Arrays.toString(got) + ", expected " + Arrays.toString(want));
        else System.out.println("jpms consumer: " + what + " ok");
    }

    static HostArray f32(double[] values, long... shape) {
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), values);
    }
}
