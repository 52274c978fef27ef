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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The key-value store one process of a job hosts on a TCP port (process 0, as JAX's coordinator), which every
 * process's {@link TcpKeyValueStore} reaches. One request per connection, so a get blocked on a key never delays
 * another process's put. The wire format ({@link TcpKeyValueStore} writes it): an op byte ({@code P}ut, {@code G}et,
 * {@code T}ryGet, {@code D}elete), the key ({@code writeUTF}), then the value ({@code int} length and bytes), the get's
 * timeout in ms ({@code long}) or the prefix of the keys to delete ({@code writeUTF}); the answer is 0 and a value ({@code int} length, -1 for "not set", and bytes) or 1, the error
 * code ({@code int}) and message ({@code writeUTF}). A value is at most {@link Wire#MAX_VALUE_BYTES} and is read whole;
 * a request must arrive within {@link #REQUEST_TIMEOUT} (a get then waits in the store, not on the socket), so an idle
 * client cannot hold a thread. {@link #close()} stops accepting, lets the requests under way finish (bounded by
 * {@link #DRAIN}: a put whose value woke the process that closes still gets its answer), then ends every waiting get
 * (CANCELLED) and closes what is still open.
 */
public final class KeyValueCoordinator implements AutoCloseable {
    static final byte PUT = 'P', GET = 'G', TRY_GET = 'T', DELETE = 'D', OK = 0, ERROR = 1;
    /** How long an accepted connection may take to send its whole request. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    /** How long {@link #close()} lets requests under way (other than gets waiting for a key) finish before it cuts them. */
    static final Duration DRAIN = Duration.ofMillis(1500);

    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** Each request's thread -> whether it is waiting in the store for a key (a get), not reading or answering. */
    private final Map<Thread, Boolean> serving = new ConcurrentHashMap<>();
    private final int requestTimeoutMs;

    private final ServerSocket server;
    private final InProcessKeyValueStore store;
    private final Thread acceptor;
    private volatile boolean closed;

    private KeyValueCoordinator(ServerSocket server, Duration requestTimeout) {
        this.server = server;
        this.requestTimeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, requestTimeout.toMillis()));
        this.store = new InProcessKeyValueStore("coordinator " + address());
        this.acceptor = Thread.ofPlatform().daemon().name("hlo4j-kv-coordinator").start(this::acceptLoop);
    }

    /** Listens on {@code port} of every local interface (0: a free port, see {@link #port()}). */
    public static KeyValueCoordinator start(int port) { return start(port, REQUEST_TIMEOUT); }

    /** As {@link #start(int)}, with another bound on how long a connection may take to send its request. */
    static KeyValueCoordinator start(int port, Duration requestTimeout) {
        try {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(port));
            return new KeyValueCoordinator(s, requestTimeout);
        } catch (IOException e) {
            throw new KeyValueException(PjrtErrorCode.UNAVAILABLE, "cannot host the key-value coordinator on port " + port + ": " + e.getMessage(), e);
        }
    }

    public int port() { return server.getLocalPort(); }

    /** How many keys the store holds (tests watch it stay bounded over a job's calls). */
    int size() { return store.size(); }

    /** {@code localhost:port}, for a store in this process. */
    public String address() { return "localhost:" + port(); }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                open.add(s);
                // registered before it starts, so close(), which joins this thread first, drains it too: a connection
                // accepted as close() begins is answered, not dropped
                Thread t = Thread.ofPlatform().daemon().name("hlo4j-kv-request").unstarted(() -> {
                    try {
                        serve(s);
                    } finally {
                        serving.remove(Thread.currentThread());
                        open.remove(s);
                    }
                });
                serving.put(t, false);
                t.start();
            } catch (IOException e) {
                if (!closed) System.err.println("hlo4j: key-value coordinator on port " + port() + ": " + e.getMessage());
            }
        }
    }

    private void serve(Socket s) {
        try (s; DataInputStream in = new DataInputStream(s.getInputStream()); DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
            s.setSoTimeout(requestTimeoutMs);
            byte op = in.readByte();
            String key = in.readUTF();
            try {
                switch (op) {
                    case PUT -> {
                        byte[] v = Wire.readValue(in, in.readInt(), "key-value put of '" + key + "' to " + store.describe());
                        store.put(key, v);
                        answer(out, v);
                    }
                    case GET -> {
                        long ms = in.readLong();
                        byte[] v;
                        serving.put(Thread.currentThread(), true);
                        try {
                            if (closed) throw new KeyValueException(PjrtErrorCode.CANCELLED, "key-value get of '" + key + "' from "
                                    + store.describe() + ": the coordinator is stopping");
                            v = store.get(key, Duration.ofMillis(Math.max(0, ms)));
                        } finally {
                            serving.put(Thread.currentThread(), false);
                        }
                        answer(out, v);
                    }
                    case TRY_GET -> {
                        Optional<byte[]> v = store.tryGet(key);
                        out.writeByte(OK);
                        out.writeInt(v.map(b -> b.length).orElse(-1));
                        if (v.isPresent()) out.write(v.get());
                    }
                    case DELETE -> {   // the key field names the request in messages; the prefix follows
                        store.deletePrefix(in.readUTF());
                        answer(out, new byte[0]);
                    }
                    default -> throw new KeyValueException(PjrtErrorCode.INVALID_ARGUMENT, "key-value coordinator: unknown request " + op);
                }
            } catch (KeyValueException e) {
                error(out, e.code(), e.detail());
            } catch (RuntimeException e) {   // a bug of ours: the client still gets an answer, nothing escapes the thread
                error(out, PjrtErrorCode.INTERNAL, "key-value coordinator: request for '" + key + "' failed: " + e);
            }
            out.flush();
        } catch (IOException e) {
            // the process that asked went away, sent nothing within the request timeout, or close() ended it: nothing to answer
        }
    }

    private static void error(DataOutputStream out, PjrtErrorCode code, String message) throws IOException {
        out.writeByte(ERROR);
        out.writeInt(code.ordinal());
        out.writeUTF(message.length() > 16_000 ? message.substring(0, 16_000) + "..." : message);
    }

    private static void answer(DataOutputStream out, byte[] v) throws IOException {
        out.writeByte(OK);
        out.writeInt(v.length);
        out.write(v);
    }

    /**
     * Stops accepting; waits (up to {@link #DRAIN}) until every request under way is either answered or waiting in the
     * store for a key; ends those waits (their clients get CANCELLED), lets their answers go out, then closes whatever
     * connection is still open (an idle or stuck client).
     */
    @Override public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // a caller with a pending interrupt (a cancelled task, a close after catching InterruptedException) must still
        // drain and end the waiting gets: clear the flag for these bounded waits and set it again at the end
        boolean wasInterrupted = Thread.interrupted();
        try {
            joinUninterruptibly(acceptor, System.nanoTime() + 2_000_000_000L);
            long deadline = System.nanoTime() + DRAIN.toNanos();
            while (serving.containsValue(false) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    wasInterrupted = true;
                }
            }
            for (Thread t : serving.keySet()) if (serving.getOrDefault(t, false)) t.interrupt();   // a get waiting in the store ends (CANCELLED)
            long answered = System.nanoTime() + 500_000_000L;   // the answers' bytes, then the sockets go
            for (Thread t : serving.keySet()) wasInterrupted |= joinUninterruptibly(t, answered);
        } finally {
            for (Socket s : open) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing is all we want of it
                }
            }
            if (wasInterrupted) Thread.currentThread().interrupt();
        }
    }

    /** Joins {@code t} until {@code deadlineNanos}; returns whether an interrupt arrived meanwhile (it is not lost). */
    private static boolean joinUninterruptibly(Thread t, long deadlineNanos) {
        boolean interrupted = false;
        while (t.isAlive()) {
            long ms = (deadlineNanos - System.nanoTime()) / 1_000_000;
            if (ms <= 0) break;
            try {
                t.join(ms);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        return interrupted;
    }
}
