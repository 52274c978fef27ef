package io.hlo4j.runtime.backend;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process-wide backend choice: PJRT when a plugin is configured ({@value PjrtBackend#PLUGIN_PROPERTY}
 * or {@value PjrtBackend#PLUGIN_ENV}), the interpreter otherwise. Create options come from
 * {@value #OPTIONS_PROPERTY} or {@value #OPTIONS_ENV} as {@code key=value,key=value}. One client per plugin
 * path and option set, opened on first use and kept until the JVM exits (plugins are never unloaded): shared by every
 * caller, so its close is refused.
 */
final class ConfiguredBackend {
    static final String OPTIONS_ENV = "HLO4J_PJRT_OPTIONS";
    static final String OPTIONS_PROPERTY = "hlo4j.pjrt.options";

    private static final Map<List<Object>, PjrtBackend> OPEN = new ConcurrentHashMap<>();

    /** A front end's explicit choice ({@link Backend#with}), which wins over the property and the variable where bound. */
    static final ScopedValue<Backend> CHOSEN = ScopedValue.newInstance();

    private ConfiguredBackend() {}

    static Backend get() {
        if (CHOSEN.isBound()) return CHOSEN.get();
        Path plugin = PjrtBackend.configuredPlugin();
        if (plugin == null) return Backend.interpreter();
        String raw = System.getProperty(OPTIONS_PROPERTY);
        if (raw == null) raw = System.getenv(OPTIONS_ENV);
        Map<String, Object> options = raw == null || raw.isBlank() ? Map.of() : parseOptions(List.of(raw.split(",")));
        return OPEN.computeIfAbsent(List.of(plugin.toAbsolutePath().normalize(), options), k -> PjrtBackend.open(plugin, options).shared());
    }

    /**
     * KEY=VALUE pairs: an integer is an int64, a number a float, true/false a bool, anything else a string. A
     * malformed pair or a repeated key is refused naming it (a repeat would otherwise silently keep the last).
     */
    static Map<String, Object> parseOptions(List<String> options) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, String> given = new java.util.HashMap<>();
        for (String o : options) {
            String s = o.strip();
            int eq = s.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException(Backend.PJRT_OPTION + " '" + o + "' is not KEY=VALUE");
            String prior = given.put(s.substring(0, eq), o);
            if (prior != null) throw new IllegalArgumentException(Backend.PJRT_OPTION + " '" + o + "' repeats the key of '" + prior + "'");
            m.put(s.substring(0, eq), value(s.substring(eq + 1)));
        }
        return m;
    }


    private static Object value(String v) {
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        try { return Long.parseLong(v); } catch (NumberFormatException ignored) { /* not an integer */ }
        try { return Double.parseDouble(v); } catch (NumberFormatException ignored) { /* not a number */ }
        return v;
    }
}
