package io.hlo4j.runtime.pjrt.distributed;

import io.hlo4j.runtime.pjrt.PjrtErrorCode;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The coordinator and its clients when the other side misbehaves: values cut short or of impossible lengths (never
 * taken for shorter values), idle connections, connections still open at close, a coordinator that has gone.
 */
class CoordinatorFailuresTest {
    /** A thread of its own per task: the common pool may have one thread on a small machine, and these tasks wait on each other. */
    private static final java.util.concurrent.Executor OWN_THREAD = r -> Thread.ofPlatform().daemon().start(r);

    private static Socket raw(KeyValueCoordinator c) throws Exception {
        Socket s = new Socket("localhost", c.port());
        s.setSoTimeout(5000);
        return s;
    }

    /** What the coordinator answers: "OK <length>" or "<code>: <message>"; "closed" when it closes without an answer. */
    private static String answer(Socket s) throws Exception {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int first = in.read();
        if (first < 0) return "closed";
        if (first == KeyValueCoordinator.OK) return "OK " + in.readInt();
        return PjrtErrorCode.of(in.readInt()) + ": " + in.readUTF();
    }

    @Test
    void aPutCutShortIsNotStoredAsAShorterValue() throws Exception {
        try (KeyValueCoordinator c = KeyValueCoordinator.start(0); Socket s = raw(c)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(KeyValueCoordinator.PUT);
            out.writeUTF("k");
            out.writeInt(100);
            out.write(new byte[10]);
            out.flush();
            s.shutdownOutput();   // the putting process dies mid-value
            assertThat(answer(s)).isEqualTo("closed");
            assertThat(new TcpKeyValueStore(c.address(), Duration.ofSeconds(5)).tryGet("k")).isEmpty();
        }
    }

    @Test
    void impossibleLengthsAreRefusedByNameBeforeAnythingIsBuffered() throws Exception {
        try (KeyValueCoordinator c = KeyValueCoordinator.start(0)) {
            for (int n : new int[] {-5, Integer.MAX_VALUE, Wire.MAX_VALUE_BYTES + 1}) {
                try (Socket s = raw(c)) {
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeByte(KeyValueCoordinator.PUT);
                    out.writeUTF("k");
                    out.writeInt(n);
                    out.flush();
                    assertThat(answer(s)).isEqualTo("INVALID_ARGUMENT: key-value put of 'k' to coordinator localhost:" + c.port() + ": value length " + n
                            + " is not in [0, 268435456] (256 MiB, the store's cap)");
                }
            }
        }
    }

    /** A fake coordinator that reads one request and answers with {@code reply}, then closes. */
    private static String fakeCoordinator(Consumer<DataOutputStream> reply, boolean get) throws Exception {
        try (ServerSocket server = new ServerSocket(0)) {
            CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    in.readByte();
                    in.readUTF();
                    if (get) in.readLong();
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    reply.accept(out);
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, OWN_THREAD);
            TcpKeyValueStore kv = new TcpKeyValueStore("localhost:" + server.getLocalPort(), Duration.ofSeconds(5));
            KeyValueException e = catchThrowableOfType(KeyValueException.class, () -> {
                if (get) kv.get("k", Duration.ofSeconds(1));
                else kv.tryGet("k");
            });
            serving.get(10, TimeUnit.SECONDS);
            return e == null ? "no error" : e.code() + ": " + e.getMessage().replace(String.valueOf(server.getLocalPort()), "PORT");
        }
    }

    @Test
    void anAnswerCutShortOrOfAnImpossibleLengthIsAnError() throws Exception {
        assertThat(fakeCoordinator(out -> {
            try {
                out.writeByte(KeyValueCoordinator.OK);
                out.writeInt(100);
                out.write(new byte[10]);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, true)).isEqualTo("UNAVAILABLE: key-value get of 'k' from coordinator localhost:PORT failed: the coordinator closed the connection before"
                + " answering (has process 0 stopped?)");
        assertThat(fakeCoordinator(out -> {
            try {
                out.writeByte(KeyValueCoordinator.OK);
                out.writeInt(-7);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, false)).isEqualTo("DATA_LOSS: key-value try_get of 'k' from coordinator localhost:PORT: value length -7 is not in [0, 268435456]"
                + " (256 MiB, the store's cap) in the coordinator's answer");
        assertThat(fakeCoordinator(out -> {}, true))
                .isEqualTo("UNAVAILABLE: key-value get of 'k' from coordinator localhost:PORT failed: the coordinator closed the connection before"
                        + " answering (has process 0 stopped?)");
    }

    @Test
    void anIdleConnectionIsClosedAfterTheRequestTimeout() throws Exception {
        try (KeyValueCoordinator c = KeyValueCoordinator.start(0, Duration.ofMillis(200)); Socket s = raw(c)) {
            s.getOutputStream().write(KeyValueCoordinator.GET);   // starts a request, never finishes it
            s.getOutputStream().flush();
            assertThat(answer(s)).isEqualTo("closed");
            // a get waits in the store, not on the socket: longer than the request timeout is fine
            TcpKeyValueStore kv = new TcpKeyValueStore(c.address(), Duration.ofSeconds(5));
            CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> kv.get("late", Duration.ofSeconds(10)), OWN_THREAD);
            Thread.sleep(600);
            kv.put("late", "v".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(waiting.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("v");
        }
    }

    @Test
    void closeEndsConnectionsInProgressAndGetsWaitingInTheStore() throws Exception {
        KeyValueCoordinator c = KeyValueCoordinator.start(0);
        try (Socket idle = raw(c); Socket waiting = raw(c)) {
            DataOutputStream out = new DataOutputStream(waiting.getOutputStream());
            out.writeByte(KeyValueCoordinator.GET);
            out.writeUTF("never");
            out.writeLong(60_000);
            out.flush();
            Thread.sleep(200);   // both are being served
            long t0 = System.nanoTime();
            c.close();
            String a = answer(waiting);
            assertThat(a).isIn("closed", "CANCELLED: key-value get of 'never' from coordinator localhost:" + c.port() + " was interrupted");
            try {
                assertThat(answer(idle)).isEqualTo("closed");
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the idle connection is still open after close()", e);
            }
            assertThat((System.nanoTime() - t0) / 1e9).isLessThan(4);
        }
    }

    @Test
    void afterJoiningAGoneCoordinatorFailsAtOnceNotAfterTheConnectTimeout() throws Exception {
        KeyValueCoordinator c = KeyValueCoordinator.start(0);
        TcpKeyValueStore kv = new TcpKeyValueStore(c.address(), Duration.ofSeconds(30));
        kv.put("a", new byte[] {1});
        kv.joined();
        c.close();
        long t0 = System.nanoTime();
        KeyValueException e = catchThrowableOfType(KeyValueException.class, () -> kv.put("b", new byte[] {2}));
        assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5);
        assertThat(e.code()).isEqualTo(PjrtErrorCode.UNAVAILABLE);
        assertThat(e.getMessage()).startsWith("key-value put of 'b' to coordinator localhost:" + c.port() + " failed: cannot connect (")
                .endsWith("): the coordinator is gone (has process 0 stopped?)");
    }
}
