package io.hlo4j.runtime.pjrt;

/** One whole flow over the mock, used by the failure-injection tests: every call the binding makes. */
final class PjrtEndToEnd {
    private PjrtEndToEnd() {}

    static void loadMock() { PjrtPlugin.load(MockPjrt.path()); }

    static void runAddFlow() {
        PjrtPlugin p = PjrtPlugin.load(MockPjrt.path());
        p.attributes();
        try (PjrtClient c = p.createClient()) {
            c.platformName();
            c.platformVersion();
            c.devices();
            PjrtDevice d = c.addressableDevices().getFirst();
            try (PjrtExecutable exe = c.compile(PjrtBindingTest.ADD, CompileOptions.singleDevice(d.id()));
                 PjrtBuffer x = c.toDevice(HostData.ofFloats(new long[] {2}, 1, 2), d);
                 PjrtBuffer y = c.toDevice(HostData.ofFloats(new long[] {2}, 3, 4), d);
                 PjrtBuffer r = exe.execute(x, y).getFirst()) {
                r.awaitReady();
                r.elementType();
                r.dims();
                if (r.toHost().floats()[1] != 6f) throw new AssertionError("2 + 4 != " + r.toHost().floats()[1]);
            }
        }
    }
}
