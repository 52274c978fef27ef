package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Optional;

/**
 * A process's view of the store a {@link KeyValueCoordinator} hosts at {@code host:port}. Each operation opens its own
 * connection (see the coordinator for the format). Until {@link #joined()}, a coordinator not listening yet is retried
 * until the connect timeout (the processes of a job start in any order); after it, a refused connection fails at once
 * (the coordinator has gone: retrying would only delay the error by the timeout, once per operation). A failed connect
 * or any I/O failure fails the operation with UNAVAILABLE naming the key and the coordinator; an answer cut short is
 * never taken for a shorter value. A get is bounded by its own timeout on the coordinator's side, and by that timeout
 * plus {@link #SLACK} here, so a coordinator that stops answering cannot hang it.
 */
public final class TcpKeyValueStore implements KeyValueStore {
    static final Duration SLACK = Duration.ofSeconds(10);

    private final String host;
    private final int port;
    private final Duration connectTimeout;
    private volatile boolean joined;

    public TcpKeyValueStore(String address, Duration connectTimeout) {
        CoordinatorAddress a = CoordinatorAddress.parse("coordinator address", address);
        this.host = a.host();
        this.port = a.port();
        this.connectTimeout = connectTimeout;
    }

    /** The job has been joined: from now on a refused connection means the coordinator is gone, and fails at once. */
    public void joined() { joined = true; }

    @Override public void put(String key, byte[] value) {
        request("put", key, KeyValueCoordinator.PUT, connectTimeout, out -> {
            out.writeInt(value.length);
            out.write(value);
        });
    }

    @Override public byte[] get(String key, Duration timeout) {
        byte[] v = request("get", key, KeyValueCoordinator.GET, timeout.plus(SLACK), out -> out.writeLong(Math.max(0, timeout.toMillis())));
        return v;
    }

    @Override public Optional<byte[]> tryGet(String key) {
        return Optional.ofNullable(request("try_get", key, KeyValueCoordinator.TRY_GET, connectTimeout, out -> {}));
    }

    @Override public void deletePrefix(String prefix) { request("delete", prefix + "*", KeyValueCoordinator.DELETE, connectTimeout, out -> out.writeUTF(prefix)); }

    @Override public String describe() { return "coordinator " + host + ":" + port; }

    private interface Body { void write(DataOutputStream out) throws IOException; }

    private byte[] request(String what, String key, byte op, Duration readTimeout, Body body) {
        String name = "key-value " + what + " of '" + key + "' " + (op == KeyValueCoordinator.PUT ? "to " : "from ") + describe();
        try (Socket s = connect(name)) {
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, readTimeout.toMillis())));
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(op);
            out.writeUTF(key);
            body.write(out);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            if (in.readByte() == KeyValueCoordinator.ERROR)
                throw new KeyValueException(PjrtErrorCode.of(in.readInt()), in.readUTF());
            int n = in.readInt();
            if (n == -1 && op == KeyValueCoordinator.TRY_GET) return null;
            try {
                return Wire.readValue(in, n, name);
            } catch (KeyValueException e) {
                throw new KeyValueException(PjrtErrorCode.DATA_LOSS, e.detail() + " in the coordinator's answer", e);
            }
        } catch (EOFException e) {
            throw new KeyValueException(PjrtErrorCode.UNAVAILABLE, name + " failed: the coordinator closed the connection before answering"
                    + " (has process 0 stopped?)", e);
        } catch (SocketTimeoutException e) {
            throw new KeyValueException(PjrtErrorCode.DEADLINE_EXCEEDED, name + ": no answer within " + readTimeout.toMillis() + " ms", e);
        } catch (IOException e) {
            throw new KeyValueException(PjrtErrorCode.UNAVAILABLE, name + " failed: " + e.getMessage(), e);
        }
    }

    /** Connects; before {@link #joined()}, retrying a refused connection until the connect timeout. */
    private Socket connect(String name) throws IOException {
        long deadline = System.nanoTime() + connectTimeout.toNanos();
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE, connectTimeout.toMillis())));
                return s;
            } catch (IOException e) {
                s.close();
                if (joined)
                    throw new KeyValueException(PjrtErrorCode.UNAVAILABLE, name + " failed: cannot connect (" + e.getMessage()
                            + "): the coordinator is gone (has process 0 stopped?)", e);
                if (System.nanoTime() >= deadline)
                    throw new KeyValueException(PjrtErrorCode.UNAVAILABLE, name + " failed: cannot connect within "
                            + connectTimeout.toMillis() + " ms (" + e.getMessage() + ")", e);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new KeyValueException(PjrtErrorCode.CANCELLED, name + " was interrupted");
                }
            }
        }
    }
}
