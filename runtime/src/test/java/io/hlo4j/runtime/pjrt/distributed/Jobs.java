package io.hlo4j.runtime.pjrt.distributed;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/** Test helpers for jobs of several processes run as threads of one JVM. */
final class Jobs {
    /** A thread of its own per task: the common pool may have one thread on a small machine, and these tasks wait on each other. */
    static final Executor OWN_THREAD = r -> Thread.ofPlatform().daemon().start(r);

    private Jobs() {}

    /** {@code localhost:PORT} of a port free a moment ago. */
    static String freeAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return "localhost:" + s.getLocalPort();
        }
    }

    /** {@code n} processes joined in threads, process 0 first in the list. */
    static List<DistributedProcess> join(String address, int n, Duration timeout) throws Exception {
        List<CompletableFuture<DistributedProcess>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int id = i;
            fs.add(CompletableFuture.supplyAsync(() -> DistributedProcess.initialize(address, n, id, timeout), OWN_THREAD));
        }
        List<DistributedProcess> ps = new ArrayList<>();
        for (CompletableFuture<DistributedProcess> f : fs) ps.add(f.get(60, TimeUnit.SECONDS));
        return ps;
    }

    /** Sends a raw GET of {@code key} waiting up to {@code waitMs} on {@code s}, as a plugin's client would. */
    static void sendGet(Socket s, String key, long waitMs) throws IOException {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeByte(KeyValueCoordinator.GET);
        out.writeUTF(key);
        out.writeLong(waitMs);
        out.flush();
    }
}
