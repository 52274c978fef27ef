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
import java.util.HexFormat;

/**
 * A persistent compile cache: serialized executables in a folder, keyed by SHA-256 of everything
 * that decides the executable (plugin C API version, platform name and version, the devices' kinds,
 * the program text, the serialized compile options). A hit deserializes instead of compiling; a miss
 * compiles, serializes and writes the entry atomically. Failures are thrown, never hidden: a plugin
 * that cannot serialize makes {@link #compile} fail with that plugin's error.
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
            PjrtExecutable exe = client.deserialize(bytes);
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

    public synchronized int hits() { return hits; }

    public synchronized int misses() { return misses; }

    static String key(PjrtClient client, String stablehlo, CompileOptions options) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            StringBuilder env = new StringBuilder().append("pjrt ").append(client.plugin().apiVersion()).append('\n')
                    .append(client.platformName()).append('\n').append(client.platformVersion()).append('\n');
            for (PjrtDevice d : client.addressableDevices()) env.append(d.id()).append(' ').append(d.kind()).append('\n');
            sha.update(env.toString().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(stablehlo.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(options.toBytes());
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
