package io.hlo4j.runtime.pjrt;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;

/**
 * A persistent compile cache: serialized executables in a folder, keyed by SHA-256 of everything
 * that decides the executable: the plugin itself (its real path, file size and modification time, so an
 * upgraded jaxlib with the same C API version is another key), its attributes (xla_version, StableHLO
 * versions, CUDA version), the C API version, platform name and version, the devices' ids and kinds, the
 * program text, the serialized compile options (which hold the device assignment) and, when set, the flags of
 * {@code XLA_FLAGS} and {@code LIBTPU_INIT_ARGS} (as in JAX's cache key: they change what XLA builds). For one process of a
 * multi-process job it also covers the process count, this process's index and every device of the job (id, kind,
 * process), so each process keeps its own entries, and a job of another shape never meets them; a client of one
 * process keys exactly as before, so an existing cache stays valid. A hit deserializes instead of compiling, and the
 * loaded executable must run on the devices the assignment gives this process, in the assignment's order (an entry
 * loaded onto others, e.g. one copied from another process or job, is refused naming the entry and both device lists:
 * running it would put blocks on the wrong partitions); a miss compiles, serializes and writes the entry atomically.
 * Failures are thrown, never hidden: a plugin that cannot serialize makes {@link #compile} fail with that plugin's
 * error, and an entry the plugin refuses to load is refused naming the entry's file (delete it to recompile).
 */
public final class CompileCache {
    private final Path dir;
    private int hits, misses;

    public CompileCache(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("compile cache folder " + dir + " cannot be created", e);
        }
    }

    public PjrtExecutable compile(PjrtClient client, String stablehlo, CompileOptions options) {
        Path entry = dir.resolve(key(client, stablehlo, options) + ".pjrt");
        if (Files.isRegularFile(entry)) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(entry);
            } catch (IOException e) {
                throw new UncheckedIOException("compile cache entry " + entry + " cannot be read", e);
            }
            PjrtExecutable exe;
            try {
                exe = client.deserialize(bytes);
            } catch (PjrtException e) {
                PjrtException refused = new PjrtException(e.code(), e.call(), "compile cache entry " + entry + " (" + bytes.length
                        + " bytes) does not load in " + client.plugin().path().getFileName() + ": " + e.pluginMessage()
                        + "; delete the entry to compile again");
                refused.initCause(e);
                throw refused;
            }
            List<Integer> want = assigned(client, options), got = exe.devices().stream().map(PjrtDevice::id).toList();
            if (want != null && !want.equals(got)) {
                exe.close();
                throw new PjrtException(PjrtErrorCode.FAILED_PRECONDITION, "PJRT_Executable_DeserializeAndLoad", "compile cache entry " + entry
                        + " loads onto devices " + got + ", but the compile's device assignment " + Arrays.toString(options.deviceIds())
                        + " gives process " + client.processIndex() + " devices " + want + ": not an entry for this process's place in the job;"
                        + " delete the entry to compile again");
            }
            synchronized (this) { hits++; }
            return exe;
        }
        PjrtExecutable exe = client.compile(stablehlo, options);
        try {
            byte[] bytes = exe.serialize();
            Path tmp = Files.createTempFile(dir, "entry", ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, entry, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            exe.close();
            throw new UncheckedIOException("compile cache entry " + entry + " cannot be written", e);
        } catch (RuntimeException e) {
            exe.close();
            throw e;
        }
        synchronized (this) { misses++; }
        return exe;
    }

    /** The folder entries live in. */
    public Path dir() { return dir; }

    public synchronized int hits() { return hits; }

    public synchronized int misses() { return misses; }

    /**
     * The devices of the assignment in {@code options} that this client addresses, in the assignment's order: where a
     * loaded executable must run. Null when the options name no assignment (nothing to check against).
     */
    static List<Integer> assigned(PjrtClient client, CompileOptions options) {
        long[] ids = options.deviceIds();
        if (ids.length == 0) return null;
        List<Integer> mine = new ArrayList<>();
        for (long id : ids)
            for (PjrtDevice d : client.addressableDevices()) if (d.id() == id) mine.add(d.id());
        return mine;
    }

    /** How many processes own the client's devices (1 for a client of one process). */
    static int processCount(PjrtClient client) {
        return (int) Math.max(1, client.devices().stream().mapToInt(PjrtDevice::processIndex).filter(p -> p >= 0).distinct().count());
    }

    static String key(PjrtClient client, String stablehlo, CompileOptions options) { return key(client, stablehlo, options, System.getenv()); }

    /** Variables whose flags change what XLA compiles (JAX's cache key hashes them too). */
    static final List<String> FLAG_VARIABLES = List.of("XLA_FLAGS", "LIBTPU_INIT_ARGS");

    /** {@code env}: the process's environment ({@link #FLAG_VARIABLES} are read from it). */
    static String key(PjrtClient client, String stablehlo, CompileOptions options, java.util.Map<String, String> env) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            StringBuilder text = new StringBuilder().append(pluginIdentity(client.plugin()))
                    .append("pjrt ").append(client.plugin().apiVersion()).append('\n')
                    .append(client.platformName()).append('\n').append(client.platformVersion()).append('\n');
            for (PjrtDevice d : client.addressableDevices()) text.append(d.id()).append(' ').append(d.kind()).append('\n');
            int processes = processCount(client);
            if (processes > 1) {   // only for a job: a one-process key stays what it was
                text.append("job of ").append(processes).append(" processes, this one ").append(client.processIndex()).append('\n');
                for (PjrtDevice d : client.devices())
                    text.append("job device ").append(d.id()).append(' ').append(d.kind()).append(" process ").append(d.processIndex()).append('\n');
            }
            // XLA_FLAGS / LIBTPU_INIT_ARGS when set: their flags in order (a flag given twice takes the last value, so the
            // order can matter). Unset or blank, nothing is added, so a key made without them stays what it was.
            for (String var : FLAG_VARIABLES) {
                String v = env.get(var);
                if (v == null || v.isBlank()) continue;
                text.append(var).append(' ').append(String.join(" ", v.trim().split("\\s+"))).append('\n');
            }
            sha.update(text.toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(stablehlo.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(options.toBytes());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The plugin file as loaded (real path, size, modification time) and its attributes, one per line. */
    static String pluginIdentity(PjrtPlugin plugin) {
        StringBuilder b = new StringBuilder("plugin ").append(plugin.fileIdentity()).append('\n');
        new TreeMap<>(plugin.attributes()).forEach((k, v) ->
                b.append(k).append('=').append(v instanceof long[] l ? Arrays.toString(l) : String.valueOf(v)).append('\n'));
        return b.toString();
    }
}
