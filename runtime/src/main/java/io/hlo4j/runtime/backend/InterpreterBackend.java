package io.hlo4j.runtime.backend;

import io.hlo4j.mlir.dialect.func.FuncOps;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.verify.ModuleVerifier;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.interp.Interpreter;

import java.util.List;

/** The embedded backend: verifies the module once, then runs its entry function on the interpreter per call. */
final class InterpreterBackend implements Backend {
    static final InterpreterBackend INSTANCE = new InterpreterBackend();

    private InterpreterBackend() {}

    @Override public String name() { return "interpreter"; }

    @Override public Executable compile(Module module) {
        ModuleVerifier.verify(module);
        Operation entry = module.entryFunction();
        if (entry == null) throw new Hlo4jException("module has no @main and more than one function: no entry to compile", module.op().location());
        FunctionType sig = FuncOps.signature(entry);
        Interpreter interp = new Interpreter(module);
        Backend self = this;
        return new Executable() {
            @Override public Module module() { return module; }
            @Override public Backend backend() { return self; }
            @Override public List<HostArray> call(List<HostArray> args) {
                ArgumentMismatchException.check(entry, sig, args);
                return interp.runHost(null, args);
            }
        };
    }
}
