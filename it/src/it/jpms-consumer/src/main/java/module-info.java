/**
 * A user's own named module on hlo4j's automatic modules: what docs/getting-started.md ("On the module path") tells
 * a JPMS user to write, and no more.
 */
module com.example.jpms {
    requires io.hlo4j.dsl;      // Tensor, Jit, Grad, MoeConfigJson
    // HostArray. javac alone, given every jar on --module-path, reads it through io.hlo4j.dsl (one automatic module
    // reads them all), but Maven's compiler plugin puts only the required modules on the module path, the rest on the
    // class path: without this line, "package io.hlo4j.runtime.array is not visible".
    requires io.hlo4j.runtime;
    // Jackson is an explicit module, which hlo4j's automatic modules cannot require: without this line (or
    // --add-modules com.fasterxml.jackson.databind) the JSON readers stop with a NoClassDefFoundError.
    requires com.fasterxml.jackson.databind;
    // Records passed to jit are read and rebuilt reflectively (com.example.jpms.hidden is not opened: refused).
    opens com.example.jpms.model to io.hlo4j.dsl;
}
