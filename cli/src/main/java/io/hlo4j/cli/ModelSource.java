package io.hlo4j.cli;

import io.hlo4j.examples.BundledModel;
import io.hlo4j.examples.Example;
import io.hlo4j.examples.Examples;
import io.hlo4j.examples.Training;
import io.hlo4j.mlir.ir.Hlo4jException;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.function.Supplier;

/**
 * Where {@code dump} and {@code examples} find models: the bundled examples and those on {@code --classpath} (jars,
 * class folders, or {@code .java} sources compiled here), loaded in a child class loader and found by
 * {@link java.util.ServiceLoader} or named by {@code --class FQCN}. The bundled examples come through the same
 * ServiceLoader, from the parent. Every failure to load or build a user's model is a {@link Main.UsageError}
 * naming the class (exit 2).
 */
final class ModelSource implements AutoCloseable {
    /** The name the user's class loader carries, which stack frames of the user's classes report. */
    static final String LOADER_NAME = "hlo4j-user";

    private final URLClassLoader user;   // null without --classpath
    private final Path compiled;         // where .java sources were compiled to, removed on close; null if none
    private final Thread cleanup;        // removes `compiled` when the JVM is stopped (SIGTERM, Ctrl-C) before close; null if none
    private final String classpath;

    private ModelSource(URLClassLoader user, Path compiled, String classpath) {
        this.user = user;
        this.compiled = compiled;
        this.classpath = classpath;
        if (compiled == null) cleanup = null;
        else {
            cleanup = new Thread(() -> SourceCompiler.delete(compiled), "hlo4j-classes-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
        }
    }

    /** {@code classpath}: null (the bundled examples only) or entries joined by the platform's path separator. */
    static ModelSource open(String classpath) {
        if (classpath == null) return new ModelSource(null, null, null);
        List<URL> urls = new ArrayList<>();
        List<Path> sources = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator, -1)) {
            if (entry.isBlank()) throw CliCommand.usage("--classpath " + classpath + ": an empty entry");
            Path p = Path.of(entry);
            if (!Files.exists(p)) throw CliCommand.usage("--classpath: " + entry + ": no such file or folder");
            if (entry.endsWith(".java") && Files.isRegularFile(p)) sources.add(p);
            else if (Files.isDirectory(p) || entry.endsWith(".jar")) urls.add(url(p));
            else throw CliCommand.usage("--classpath: " + entry + " is not a jar, a class folder or a .java source");
        }
        Path out = null;
        if (!sources.isEmpty()) {
            out = SourceCompiler.compile(sources, urls);
            urls.add(url(out));
        }
        return new ModelSource(new URLClassLoader(LOADER_NAME, urls.toArray(URL[]::new), Example.class.getClassLoader()), out, classpath);
    }

    private static URL url(Path p) {
        try {
            return p.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw CliCommand.usage("--classpath: " + p + ": " + e.getMessage());
        }
    }

    private ClassLoader loader() { return user != null ? user : Example.class.getClassLoader(); }

    /**
     * Every model the bundled examples and the class path offer, by name, in order. A name given twice is refused, and so
     * is a user's model named like one of {@code dump}'s own ({@link DumpModel#BUILTINS}): a name means one model.
     */
    Map<String, Example> all() {
        List<Example> found;
        try {
            found = Examples.load(loader());
        } catch (ServiceConfigurationError e) {
            // "Provider X could not be instantiated": its constructor's or static initialiser's exception follows
            String head = "--classpath " + classpath + ": " + Diagnostics.firstLine(String.valueOf(e.getMessage()));
            if (e.getCause() == null) throw CliCommand.usage(head, e);
            throw CliCommand.usage(head + ": " + thrown(e.getCause(), null), e.getCause());
        } catch (LinkageError e) {
            throw CliCommand.usage("--classpath " + classpath + ": " + thrown(e, null), e);
        }
        Map<String, Example> byName = new LinkedHashMap<>();
        for (Example e : found) {
            String name = named(e);
            if (!isBundled(e) && DumpModel.BUILTINS.contains(name)) {
                throw CliCommand.usage(e.getClass().getName() + ".name() is '" + name + "', the name of hlo4j's built-in model: give yours another name");
            }
            Example before = byName.putIfAbsent(name, e);
            if (before != null) {
                throw CliCommand.usage("two models are named '" + name + "': " + before.getClass().getName() + " and " + e.getClass().getName());
            }
        }
        return byName;
    }

    /** The model {@code name} names, or null. */
    Example byName(String name) { return all().get(name); }

    /** An instance of {@code fqcn}, which must implement {@link Example} and have a public no-argument constructor. */
    Example byClass(String fqcn) {
        String where = user == null ? "the class path (give --classpath PATH)" : "--classpath " + classpath;
        Class<?> c;
        try {
            c = Class.forName(fqcn, true, loader());
        } catch (ClassNotFoundException e) {
            throw CliCommand.usage("--class " + fqcn + ": class not found on " + where);
        } catch (ExceptionInInitializerError e) {
            // its static initialiser threw: that exception, not the wrapper (whose message is null), is the user's
            throw threw(fqcn, "while its class was initialised", e.getCause() != null ? e.getCause() : e);
        } catch (LinkageError e) {
            // a class it needs is missing (a jar left off --classpath), or a class file is bad
            throw CliCommand.usage("--class " + fqcn + ": cannot be loaded: " + thrown(e, null), e);
        }
        if (!Example.class.isAssignableFrom(c)) {
            throw CliCommand.usage("--class " + fqcn + " does not implement " + Example.class.getName());
        }
        if (Modifier.isAbstract(c.getModifiers())) throw CliCommand.usage("--class " + fqcn + " is abstract");
        Example e;
        try {
            e = (Example) c.getConstructor().newInstance();
        } catch (NoSuchMethodException | IllegalAccessException x) {
            throw CliCommand.usage("--class " + fqcn + " has no public no-argument constructor");
        } catch (InvocationTargetException x) {
            throw threw(fqcn, "while being created", x.getCause());
        } catch (InstantiationException x) {
            throw CliCommand.usage("--class " + fqcn + " cannot be created: " + x);
        } catch (LinkageError x) {
            throw threw(fqcn, "while being created", x);
        }
        named(e);
        return e;
    }

    private static String named(Example e) {
        String name = guard(e, "in name()", e::name);
        if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw CliCommand.usage(e.getClass().getName() + ".name() is '" + name + "': a model's name is letters, digits, '.', '_' and '-'");
        }
        return name;
    }

    /** {@code NAME  description} a line for each model, all made before any is printed (a description() that throws leaves no partial list). */
    static String listing(Map<String, Example> models) {
        StringBuilder sb = new StringBuilder();
        models.forEach((name, e) -> sb.append(String.format("%-16s %s%n", name, guard(e, "in description()", e::description))));
        return sb.toString();
    }

    /**
     * Runs the part of a model's own code that {@code doing} names ({@code "while tracing"}, {@code "in optimizer()"}): what a
     * user's model throws there, an exception or an error (an assertion, a class missing from --classpath), is a usage error
     * naming its class, the message and the user's line, with the exception kept for {@code --verbose}. A bundled model's
     * failure is hlo4j's own and passes as it is, and so do the JVM's own errors (out of memory, stack overflow), which
     * {@link Diagnostics} words already.
     */
    static <T> T guard(Example e, String doing, Supplier<T> body) {
        if (isBundled(e)) return body.get();
        try {
            return body.get();
        } catch (Main.UsageError | VirtualMachineError x) {
            throw x;
        } catch (Training.RefusedValueException x) {   // hlo4j refused a value the model returned: no "threw"
            throw CliCommand.usage(x.getMessage(), x);
        } catch (RuntimeException | Error x) {
            throw threw(e.getClass().getName(), doing, x);
        }
    }

    /**
     * Whether {@code e} is one of hlo4j's own models (marked {@link BundledModel}), whose ops are located at
     * {@code hlo4j.builtin.NAME} rather than a Java line and whose failures are hlo4j's own. The mark, not the package: a
     * user's class in a package named {@code io.hlo4j.*} is still the user's (as {@link Training}'s sharding checks judge it).
     */
    static boolean isBundled(Example e) { return e instanceof BundledModel; }

    /**
     * {@code CLASS threw WHILE: message (at File.java:line)}: the exception a user's model threw, with the first line of
     * the user's own code on its stack (an hlo4j error already names the user's line as its location). With no frame of
     * the user's on the stack the model did not throw: {@code hlo4j refused CLASS's model WHILE: message}.
     */
    static Main.UsageError threw(String who, String doing, Throwable t) {
        Throwable cause = t instanceof ExceptionInInitializerError e && e.getCause() != null ? e.getCause() : t;
        if (!(cause instanceof Error) && userFrame(cause, who) == null) {
            // no line of the user's on the stack: hlo4j's own code refused what the model gave it, the model did not throw
            // an hlo4j error's location is then a line of hlo4j's, which would read as the user's: the message alone
            String what = cause instanceof Hlo4jException h ? h.detail() : thrown(t, who);
            return CliCommand.usage("hlo4j refused " + who + "'s model " + doing + ": " + what, t);
        }
        return CliCommand.usage(who + " threw " + doing + ": " + thrown(t, who), t);
    }

    /**
     * The exception's type and message and the user's line: {@code Type: message (at File.java:line)}. An
     * ExceptionInInitializerError stands for what a static initialiser threw, so that one is described.
     */
    private static String thrown(Throwable t, String who) {
        if (t instanceof ExceptionInInitializerError e && e.getCause() != null) t = e.getCause();
        if (t instanceof Hlo4jException) return Diagnostics.describe(null, t);
        String what = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + Diagnostics.firstLine(t.getMessage()));
        StackTraceElement at = userFrame(t, who);
        if (at == null) return what;
        boolean otherInit = at.getMethodName().equals("<clinit>") && !at.getClassName().equals(who);
        String init = otherInit ? ", in the static initialiser of " + at.getClassName() : "";
        return what + " (at " + at.getFileName() + ":" + at.getLineNumber() + init + ")";
    }

    /** The first frame of the user's classes: loaded by the --classpath loader, else of the model's own class (or one nested in it). */
    private static StackTraceElement userFrame(Throwable t, String who) {
        for (StackTraceElement f : t.getStackTrace()) if (LOADER_NAME.equals(f.getClassLoaderName()) && f.getFileName() != null) return f;
        if (who == null) return null;
        for (StackTraceElement f : t.getStackTrace()) {
            String c = f.getClassName();
            if (f.getFileName() != null && (c.equals(who) || c.startsWith(who + "$"))) return f;
        }
        return null;
    }

    @Override public void close() {
        try {
            if (user != null) user.close();
        } catch (IOException ignored) {
            // nothing to undo: the loader only read files
        }
        if (compiled == null) return;
        SourceCompiler.delete(compiled);
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException ignored) {
            // the JVM is already shutting down: the hook runs and finds the folder gone
        }
    }
}
