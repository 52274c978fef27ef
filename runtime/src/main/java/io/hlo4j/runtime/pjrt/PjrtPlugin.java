package io.hlo4j.runtime.pjrt;

import io.hlo4j.runtime.pjrt.Abi.Fn;

import io.hlo4j.runtime.pjrt.distributed.KeyValueStore;
import io.hlo4j.runtime.pjrt.distributed.PrefixedKeyValueStore;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A loaded PJRT plugin (a shared library exporting {@code GetPjrtApi}). The library is never unloaded
 * (plugins do not survive it), and {@code PJRT_Plugin_Initialize} runs once per library path.
 */
public final class PjrtPlugin {
    private static final Set<Path> INITIALIZED = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final PjrtApi api;
    private final String fileIdentity;

    private PjrtPlugin(Path path, PjrtApi api, String fileIdentity) {
        this.path = path;
        this.api = api;
        this.fileIdentity = fileIdentity;
    }

    /**
     * Loads the plugin at {@code path}, checks its PJRT C API version (refusing major != 0 or a minor
     * older than hlo4j supports) and initialises it on first load. A file that cannot be a shared library
     * ({@link SharedLibraryFile}) is refused by name before the JVM's loader sees it.
     */
    public static PjrtPlugin load(Path path) {
        Path p = path.toAbsolutePath().normalize();
        if (!Files.isRegularFile(p))
            throw new PjrtException(PjrtErrorCode.NOT_FOUND, "dlopen", "PJRT plugin " + p + " does not exist");
        String notLibrary;
        try {
            notLibrary = SharedLibraryFile.problem(p);
        } catch (java.io.IOException e) {
            throw new PjrtException(PjrtErrorCode.NOT_FOUND, "dlopen", "PJRT plugin " + p + " cannot be read: " + e.getMessage());
        }
        if (notLibrary != null)   // before the JVM's loader, which warns about such a file before it refuses it
            throw new PjrtException(PjrtErrorCode.FAILED_PRECONDITION, "dlopen", "PJRT plugin " + p + " is not a shared library ("
                    + notLibrary + "); a PJRT plugin is a shared library exporting GetPjrtApi, such as xla_cuda_plugin.so");
        String identity = fileIdentity(p);   // before loading: what this process runs, even if the file is replaced later
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(p, Arena.global());   // global: never unload a plugin
        } catch (IllegalArgumentException e) {
            throw new PjrtException(PjrtErrorCode.FAILED_PRECONDITION, "dlopen", "cannot load " + p + ": " + e.getMessage());
        }
        MemorySegment getApi = lib.find("GetPjrtApi").orElseThrow(() ->
                new PjrtException(PjrtErrorCode.NOT_FOUND, "GetPjrtApi", p + " exports no GetPjrtApi: not a PJRT plugin"));
        MethodHandle h = Linker.nativeLinker().downcallHandle(getApi, FunctionDescriptor.of(ADDRESS));
        MemorySegment raw;
        try {
            raw = (MemorySegment) h.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("GetPjrtApi of " + p + " failed", t);
        }
        PjrtApi api = new PjrtApi(raw, p.toString());
        PjrtPlugin plugin = new PjrtPlugin(p, api, identity);
        synchronized (INITIALIZED) {
            if (!INITIALIZED.contains(p)) {
                try (Arena a = Arena.ofConfined()) {
                    api.call(Fn.PJRT_Plugin_Initialize, Abi.PLUGIN_INITIALIZE.allocate(a));
                }
                INITIALIZED.add(p);
            }
        }
        return plugin;
    }

    public Path path() { return path; }

    /**
     * The plugin's platform as its file names it, the name under which JAX registers it: {@code xla_cuda_plugin.so}
     * gives {@code cuda}, {@code pjrt_c_api_gpu_plugin.so} {@code gpu}, {@code libtpu.so} {@code tpu},
     * {@code libpjrt_mock.so} {@code mock}. Known before a client exists, so it can prefix the keys the plugin puts in a
     * job's store at client creation.
     */
    public String platformName() { return platformName(path.getFileName().toString()); }

    static String platformName(String file) {
        String n = file;
        int dot = n.indexOf('.');
        if (dot > 0) n = n.substring(0, dot);
        for (String p : new String[] {"lib", "pjrt_c_api_", "pjrt_", "xla_"}) if (n.startsWith(p) && n.length() > p.length()) n = n.substring(p.length());
        for (String p : new String[] {"_pjrt_plugin", "_plugin", "_pjrt"}) if (n.endsWith(p) && n.length() > p.length()) n = n.substring(0, n.length() - p.length());
        return n;
    }

    /**
     * The library file as it was when loaded: real path, size and modification time (the compile cache keys on it,
     * so a plugin upgraded under the same path and C API version never reuses another build's executables).
     */
    public String fileIdentity() { return fileIdentity; }

    private static String fileIdentity(Path p) {
        try {
            Path real = p.toRealPath();
            return real + " " + Files.size(real) + " " + Files.getLastModifiedTime(real).toMillis();
        } catch (java.io.IOException e) {
            throw new PjrtException(PjrtErrorCode.NOT_FOUND, "dlopen", "PJRT plugin " + p + " cannot be read: " + e.getMessage());
        }
    }

    /** The PJRT C API version the plugin reports, e.g. "0.95". */
    public String apiVersion() { return api.major() + "." + api.minor(); }

    PjrtApi api() { return api; }

    /**
     * {@code PJRT_Plugin_Attributes}: String, Long, long[], Float or Boolean values by name
     * (e.g. {@code xla_version}, {@code stablehlo_current_version}).
     */
    public Map<String, Object> attributes() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment args = Abi.PLUGIN_ATTRIBUTES.allocate(a);
            api.call(Fn.PJRT_Plugin_Attributes, args);
            return namedValues("PJRT_Plugin_Attributes", args.get(ADDRESS, Abi.PLUGIN_ATTRIBUTES.off("attributes")),
                    args.get(JAVA_LONG, Abi.PLUGIN_ATTRIBUTES.off("num_attributes")));
        }
    }

    /**
     * A plugin-owned array of {@code n} PJRT_NamedValues ({@code call} returned it), copied into Java values. An
     * element whose struct_size is smaller than the fields read is refused by name rather than read past its end, and
     * one larger than hlo4j's element (a newer layout, so another stride) rather than misreading the next.
     */
    static Map<String, Object> namedValues(String call, MemorySegment array, long n) {
        {
            MemorySegment arr = array.reinterpret(n * Abi.NAMED_VALUE.sizeOf());
            Map<String, Object> out = new LinkedHashMap<>();
            for (long i = 0; i < n; i++) {
                MemorySegment nv = arr.asSlice(i * Abi.NAMED_VALUE.sizeOf(), Abi.NAMED_VALUE.sizeOf());
                long size = nv.get(JAVA_LONG, Abi.NAMED_VALUE.off("struct_size"));
                if (size < Abi.NAMED_VALUE.structSize())
                    throw new PjrtException(PjrtErrorCode.INTERNAL, call, "PJRT_NamedValue #" + i + " of " + n + " reports struct_size "
                            + size + ", smaller than the " + Abi.NAMED_VALUE.structSize() + " bytes of the fields hlo4j reads");
                // a longer element means a newer struct and another array stride: the next element would be misread
                if (size > Abi.NAMED_VALUE.sizeOf())
                    throw new PjrtException(PjrtErrorCode.UNIMPLEMENTED, call, "PJRT_NamedValue #" + i + " of " + n + " reports struct_size "
                            + size + ", larger than the " + Abi.NAMED_VALUE.sizeOf() + " bytes hlo4j steps by: a newer PJRT_NamedValue layout");
                out.put(PjrtApi.string(nv.get(ADDRESS, Abi.NAMED_VALUE.off("name")), nv.get(JAVA_LONG, Abi.NAMED_VALUE.off("name_size"))),
                        readValue(nv));
            }
            return Collections.unmodifiableMap(out);
        }
    }

    static Object readValue(MemorySegment nv) {
        long v = Abi.NAMED_VALUE.off("value");
        long size = nv.get(JAVA_LONG, Abi.NAMED_VALUE.off("value_size"));
        int type = nv.get(JAVA_INT, Abi.NAMED_VALUE.off("type"));
        return switch (type) {
            case Abi.NV_STRING -> PjrtApi.string(nv.get(ADDRESS, v), size);
            case Abi.NV_INT64 -> nv.get(JAVA_LONG, v);
            case Abi.NV_INT64_LIST -> nv.get(ADDRESS, v).reinterpret(size * 8).toArray(JAVA_LONG);
            case Abi.NV_FLOAT -> nv.get(JAVA_FLOAT, v);
            case Abi.NV_BOOL -> nv.get(JAVA_BYTE, v) != 0;
            default -> throw new PjrtException(PjrtErrorCode.INVALID_ARGUMENT, "PJRT_Plugin_Attributes", "unknown PJRT_NamedValue_Type " + type);
        };
    }

    /** A client with no create options. */
    public PjrtClient createClient() { return createClient(Map.of()); }

    /**
     * {@code PJRT_Client_Create} with named-value options: String, Long/Integer (int64), long[] (int64
     * list), Float/Double (float) or Boolean values. Plugins reject names they do not know.
     */
    public PjrtClient createClient(Map<String, ?> options) { return createClient(options, null); }

    /**
     * {@code PJRT_Client_Create} with options and a key-value store shared by every process of a job (null: none), which
     * the plugin reaches through the create call's {@code kv_get_callback}/{@code kv_put_callback} (and
     * {@code kv_try_get_callback} for a plugin of C API 0.61 or newer; an older one has no such field and gets NULL
     * there). The store stays registered until the client is closed: a plugin may use it after creation. A failure in
     * the store (a get that timed out, a put refused) comes back from the plugin as the create's error, with the store's
     * code and message. As JAX does, the plugin sees the store under the prefix {@link #platformName()}{@code + ":"}, so
     * clients of two plugins on one store keep apart.
     */
    public PjrtClient createClient(Map<String, ?> options, KeyValueStore store) {
        long ticket = store == null ? 0 : KvCallbacks.register(new PrefixedKeyValueStore(platformName() + ":", store));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment opts = Abi.NAMED_VALUE.allocateArray(a, options.size());
            int i = 0;
            for (Map.Entry<String, ?> e : options.entrySet()) {
                writeOption(a, opts.asSlice(i++ * Abi.NAMED_VALUE.sizeOf(), Abi.NAMED_VALUE.sizeOf()), e.getKey(), e.getValue());
            }
            MemorySegment args = Abi.CLIENT_CREATE.allocate(a);
            args.set(ADDRESS, Abi.CLIENT_CREATE.off("create_options"), options.isEmpty() ? MemorySegment.NULL : opts);
            args.set(JAVA_LONG, Abi.CLIENT_CREATE.off("num_options"), options.size());
            if (store != null) {
                MemorySegment user = MemorySegment.ofAddress(ticket);
                args.set(ADDRESS, Abi.CLIENT_CREATE.off("kv_get_callback"), KvCallbacks.GET);
                args.set(ADDRESS, Abi.CLIENT_CREATE.off("kv_get_user_arg"), user);
                args.set(ADDRESS, Abi.CLIENT_CREATE.off("kv_put_callback"), KvCallbacks.PUT);
                args.set(ADDRESS, Abi.CLIENT_CREATE.off("kv_put_user_arg"), user);
                if (api.minor() >= Abi.KV_TRY_GET_MINOR) {
                    args.set(ADDRESS, Abi.CLIENT_CREATE.off("kv_try_get_callback"), KvCallbacks.TRY_GET);
                    args.set(ADDRESS, Abi.CLIENT_CREATE.off("kv_try_get_user_arg"), user);
                }
            }
            api.call(Fn.PJRT_Client_Create, args);
            return new PjrtClient(this, args.get(ADDRESS, Abi.CLIENT_CREATE.off("client")), ticket);
        } catch (RuntimeException e) {
            if (store != null) KvCallbacks.unregister(ticket);
            throw e;
        }
    }

    private static void writeOption(Arena a, MemorySegment nv, String name, Object value) {
        MemorySegment n = a.allocateFrom(name);
        nv.set(ADDRESS, Abi.NAMED_VALUE.off("name"), n);
        nv.set(JAVA_LONG, Abi.NAMED_VALUE.off("name_size"), n.byteSize() - 1);
        long v = Abi.NAMED_VALUE.off("value"), size = Abi.NAMED_VALUE.off("value_size"), type = Abi.NAMED_VALUE.off("type");
        switch (value) {
            case String s -> {
                MemorySegment str = a.allocateFrom(s);
                nv.set(JAVA_INT, type, Abi.NV_STRING);
                nv.set(ADDRESS, v, str);
                nv.set(JAVA_LONG, size, str.byteSize() - 1);
            }
            case Long l -> { nv.set(JAVA_INT, type, Abi.NV_INT64); nv.set(JAVA_LONG, v, l); nv.set(JAVA_LONG, size, 1); }
            case Integer l -> { nv.set(JAVA_INT, type, Abi.NV_INT64); nv.set(JAVA_LONG, v, l); nv.set(JAVA_LONG, size, 1); }
            case long[] list -> {
                nv.set(JAVA_INT, type, Abi.NV_INT64_LIST);
                nv.set(ADDRESS, v, list.length == 0 ? MemorySegment.NULL : a.allocateFrom(JAVA_LONG, list));
                nv.set(JAVA_LONG, size, list.length);
            }
            case Float f -> { nv.set(JAVA_INT, type, Abi.NV_FLOAT); nv.set(JAVA_FLOAT, v, f); nv.set(JAVA_LONG, size, 1); }
            case Double d -> { nv.set(JAVA_INT, type, Abi.NV_FLOAT); nv.set(JAVA_FLOAT, v, d.floatValue()); nv.set(JAVA_LONG, size, 1); }
            case Boolean b -> { nv.set(JAVA_INT, type, Abi.NV_BOOL); nv.set(JAVA_BYTE, v, (byte) (b ? 1 : 0)); nv.set(JAVA_LONG, size, 1); }
            case null, default -> throw new IllegalArgumentException("create option '" + name + "': unsupported value "
                    + value + (value == null ? "" : " (" + value.getClass().getSimpleName() + ")")
                    + "; use String, Long, long[], Float or Boolean");
        }
    }

    @Override public String toString() { return "PjrtPlugin[" + path + ", PJRT C API " + apiVersion() + "]"; }
}
