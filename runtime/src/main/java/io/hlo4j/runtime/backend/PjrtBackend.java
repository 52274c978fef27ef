package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.pjrt.CompileOptions;
import io.hlo4j.runtime.pjrt.HostArrays;
import io.hlo4j.runtime.pjrt.PjrtBuffer;
import io.hlo4j.runtime.pjrt.PjrtClient;
import io.hlo4j.runtime.pjrt.PjrtDevice;
import io.hlo4j.runtime.pjrt.PjrtExecutable;
import io.hlo4j.runtime.pjrt.PjrtPlugin;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs modules on the first addressable device of a PJRT plugin. The module is verified here, printed as
 * StableHLO text and compiled with single-device options; each call copies arguments to the device and the
 * results back as {@link HostArray}s, closing every device buffer it made. Closing the backend closes the
 * client and with it every executable compiled through it.
 */
public final class PjrtBackend implements Backend, AutoCloseable {
    private final PjrtClient client;
    private final PjrtDevice device;

    private PjrtBackend(PjrtClient client) {
        this.client = client;
        List<PjrtDevice> devices = client.addressableDevices();
        if (devices.isEmpty()) {
            client.close();
            throw new Hlo4jException("PJRT plugin " + client.plugin().path() + " has no addressable device", null);
        }
        this.device = devices.getFirst();
    }

    /** Loads {@code plugin} and creates a client with {@code options} (see {@link PjrtPlugin#createClient(Map)}). */
    public static PjrtBackend open(Path plugin, Map<String, ?> options) {
        return new PjrtBackend(PjrtPlugin.load(plugin).createClient(options));
    }

    public PjrtClient client() { return client; }

    @Override public String name() { return "pjrt:" + client.platformName(); }

    @Override public Executable compile(Module module) {
        ModuleVerifier.verify(module);
        Operation entry = module.entryFunction();
        if (entry == null) throw new Hlo4jException("module has no @main and more than one function: no entry to compile", module.op().location());
        FunctionType sig = FuncOps.signature(entry);
        PjrtExecutable exe = client.compile(MlirPrinter.print(module), CompileOptions.singleDevice(device.id()));
        Backend self = this;
        return new Executable() {
            @Override public Module module() { return module; }
            @Override public Backend backend() { return self; }
            @Override public List<HostArray> call(List<HostArray> args) {
                checkArguments(entry, sig, args);
                List<PjrtBuffer> in = new ArrayList<>(args.size());
                List<PjrtBuffer> out = List.of();
                try {
                    for (HostArray a : args) in.add(client.toDevice(HostArrays.toHostData(a), device));
                    out = exe.execute(in.toArray(PjrtBuffer[]::new));
                    List<HostArray> results = new ArrayList<>(out.size());
                    for (PjrtBuffer b : out) {
                        b.awaitReady();
                        results.add(HostArrays.toHostArray(b.toHost()));
                    }
                    return results;
                } finally {
                    for (PjrtBuffer b : in) b.close();
                    for (PjrtBuffer b : out) b.close();
                }
            }
        };
    }

    static void checkArguments(Operation entry, FunctionType sig, List<HostArray> args) {
        List<Type> want = sig.inputs();
        if (args.size() != want.size()) {
            throw new Hlo4jException("entry function takes " + want.size() + " arguments " + want + ", got " + args.size(), entry.location());
        }
        for (int i = 0; i < args.size(); i++) {
            if (!args.get(i).type().equals(want.get(i))) {
                throw new Hlo4jException("argument #" + i + " is " + args.get(i).type() + " but the entry function expects "
                        + want.get(i), entry.location());
            }
        }
    }

    @Override public void close() { client.close(); }

    @Override public String toString() { return "PjrtBackend[" + client.plugin() + ", device " + device.id() + "]"; }
}
