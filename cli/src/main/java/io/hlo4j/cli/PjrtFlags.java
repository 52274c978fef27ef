package io.hlo4j.cli;

import io.hlo4j.runtime.backend.Backend;
import io.hlo4j.runtime.backend.PjrtBackend;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --pjrt-plugin} and {@code --pjrt-option}, declared once for every command that can run on a PJRT plugin
 * ({@code @Mixin PjrtFlags pjrt}), with their rules stated once:
 * <ul>
 *   <li>the plugin is {@code --pjrt-plugin PATH}, else {@value #ENV} (blank counts as unset); the flag wins over the
 *       variable, and every message names the one the path came from;</li>
 *   <li>each {@code --pjrt-option} is {@code KEY=VALUE} with a non-empty key, each key at most once, and options need a
 *       plugin: usage errors naming the flag and the value;</li>
 *   <li>a plugin file that is missing, unreadable or not a shared library is refused naming the path ({@link PluginFile});</li>
 *   <li>where the command's path runs no plugin ({@link #unused}), an explicit flag is a usage error and a plugin named
 *       only by the variable is left unused with a note on stderr, so that a run never looks as if it had used it.</li>
 * </ul>
 */
final class PjrtFlags {
    static final String ENV = PjrtBackend.PLUGIN_ENV;
    static final String PLUGIN = "--pjrt-plugin", OPTION = "--pjrt-option";

    @Spec(Spec.Target.MIXEE) CommandSpec mixee;

    @Option(names = PLUGIN, paramLabel = "PATH",
            description = "The PJRT plugin to use, a shared library (e.g. libtpu.so); what runs on it: see above. "
                    + "Default: $" + ENV + ", which this flag overrides.")
    Path explicitPlugin;

    @Option(names = OPTION, paramLabel = "KEY=VALUE",
            description = "A PJRT client create option (repeat; needs a plugin); VALUE is read as int, float, true/false, else string.")
    List<String> options = new ArrayList<>();

    /** The environment's plugin, or null when the variable is unset or blank (as the runtime's {@code Backend.configured()} reads it). */
    static Path fromEnvironment() {
        String v = System.getenv(ENV);
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    /** The plugin named by the flag, else by the environment, else null; not checked. */
    Path plugin() { return explicitPlugin != null ? explicitPlugin : fromEnvironment(); }

    /** Where {@link #plugin()} came from: the flag or the variable. */
    String source() { return explicitPlugin != null ? PLUGIN : ENV; }

    /**
     * For a command path that runs on the plugin when there is one: checks the options and the plugin file and returns
     * the plugin, or null (no flag, no variable) for the interpreter.
     */
    Path use() throws IOException {
        createOptions();   // the options' syntax first: a usage error before any file is looked at
        Path p = plugin();
        if (p == null) {
            if (!options.isEmpty()) throw new Main.UsageError(OPTION + " needs " + PLUGIN + " (or " + ENV + ")");
            return null;
        }
        if (explicitPlugin != null && explicitPlugin.toString().isEmpty()) throw new Main.UsageError(PLUGIN + " was given an empty path");
        PluginFile.require(p, source());
        return p;
    }

    /** For a command that needs a plugin: {@link #use()}, refusing none. */
    Path require() throws IOException {
        if (plugin() == null) {
            createOptions();
            throw new Main.UsageError("no PJRT plugin: give " + PLUGIN + " PATH or set " + ENV);
        }
        return use();
    }

    /**
     * For a command path that runs no plugin ({@code why}, e.g. "--mesh runs on simulated devices in the interpreter"):
     * an explicit flag is refused; a plugin named only by the environment gets a note on stderr.
     */
    void unused(String why) {
        if (explicitPlugin != null || !options.isEmpty()) throw new Main.UsageError(why + "; it does not take " + PLUGIN + " or " + OPTION);
        Path env = fromEnvironment();
        if (env != null) {
            mixee.commandLine().getErr().println("note: " + why + "; " + ENV + " (" + env + ") is not used");
            mixee.commandLine().getErr().flush();
        }
    }

    /** The options as client create options; a malformed or repeated one is a usage error naming the flag and the value. */
    Map<String, Object> createOptions() { return parse(options); }

    static Map<String, Object> parse(List<String> options) {
        try {
            return Backend.pjrtOptions(options); // the runtime's one parser: malformed pairs and repeated keys refused
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new Main.UsageError(m.startsWith(Backend.PJRT_OPTION) ? OPTION + m.substring(Backend.PJRT_OPTION.length()) : m);
        }
    }
}
