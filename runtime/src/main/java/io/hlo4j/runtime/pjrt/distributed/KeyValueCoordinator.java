package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;

/**
 * The key-value store one process of a job hosts on a TCP port (process 0, as JAX's coordinator), which every
 * process's {@link TcpKeyValueStore} reaches. One request per connection, so a get blocked on a key never delays
 * another process's put. The wire format ({@link TcpKeyValueStore} writes it): an op byte ({@code P}ut, {@code G}et,
 * {@code T}ryGet), the key ({@code writeUTF}), then the value ({@code int} length and bytes) or the get's timeout in
 * ms ({@code long}); the answer is 0 and a value ({@code int} length, -1 for "not set", and bytes) or 1, the error
 * code ({@code int}) and message ({@code writeUTF}).
 */
public final class KeyValueCoordinator implements AutoCloseable {
    static final byte PUT = 'P', GET = 'G', TRY_GET = 'T', OK = 0, ERROR = 1;

    private final ServerSocket server;
    private final InProcessKeyValueStore store;
    private final Thread acceptor;
    private volatile boolean closed;

    private KeyValueCoordinator(ServerSocket server) {
        this.server = server;
        this.store = new InProcessKeyValueStore("coordinator " + address());
        this.acceptor = Thread.ofPlatform().daemon().name("hlo4j-kv-coordinator").start(this::acceptLoop);
    }

    /** Listens on {@code port} of every local interface (0: a free port, see {@link #port()}). */
    public static KeyValueCoordinator start(int port) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return new KeyValueCoordinator(s);
        } catch (IOException e) {
            throw new KeyValueException(PjrtErrorCode.UNAVAILABLE, "cannot host the key-value coordinator on port " + port + ": " + e.getMessage(), e);
        }
    }

    public int port() { return server.getLocalPort(); }

    /** {@code localhost:port}, for a store in this process. */
    public String address() { return "localhost:" + port(); }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().name("hlo4j-kv-request").start(() -> serve(s));
            } catch (IOException e) {
                if (!closed) System.err.println("hlo4j: key-value coordinator on port " + port() + ": " + e.getMessage());
            }
        }
    }

    private void serve(Socket s) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream()); DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            byte op = in.readByte();
            String key = in.readUTF();
            try {
                switch (op) {
                    case PUT -> {
                        byte[] v = in.readNBytes(in.readInt());
                        store.put(key, v);
                        answer(out, v);
                    }
                    case GET -> answer(out, store.get(key, Duration.ofMillis(in.readLong())));
                    case TRY_GET -> {
                        Optional<byte[]> v = store.tryGet(key);
                        out.writeByte(OK);
                        out.writeInt(v.map(b -> b.length).orElse(-1));
                        if (v.isPresent()) out.write(v.get());
                    }
                    default -> throw new KeyValueException(PjrtErrorCode.INVALID_ARGUMENT, "key-value coordinator: unknown request " + op);
                }
            } catch (KeyValueException e) {
                out.writeByte(ERROR);
                out.writeInt(e.code().ordinal());
                out.writeUTF(e.detail());
            }
            out.flush();
        } catch (IOException e) {
            // the process that asked went away; nothing to answer
        }
    }

    private static void answer(DataOutputStream out, byte[] v) throws IOException {
        out.writeByte(OK);
        out.writeInt(v.length);
        out.write(v);
    }

    @Override public void close() {
        closed = true;
        try {
            server.close();
            acceptor.join(2000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
