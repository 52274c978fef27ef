package io.hlo4j.cli;

import io.hlo4j.runtime.backend.PjrtBackend;
import io.hlo4j.runtime.pjrt.distributed.JobSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A command's PJRT backend, for {@code run}, {@code compile} and {@code moe run} alike: the plugin opened with the
 * command's create options and the configured compile cache, as one process of {@code job} when there is one
 * ({@link PjrtBackend#open(Path, Map, JobSpec, Path)} joins it). A failure of the command's own work after the job was
 * joined (a result it cannot write, a refusal of its own) is told to the other processes before it is thrown, so that
 * their waits end naming this process; closing leaves the job.
 */
final class PjrtSession {
    private PjrtSession() {}

    interface Work<T> {
        T run(PjrtBackend backend) throws IOException;
    }

    static <T> T with(Path plugin, Map<String, Object> options, JobSpec job, Work<T> work) throws IOException {
        try (PjrtBackend backend = PjrtBackend.open(plugin, options, job, PjrtBackend.configuredCache())) {
            try {
                return work.run(backend);
            } catch (RuntimeException | IOException | Error e) {
                backend.failJob(String.valueOf(e.getMessage()));   // once per job: the backend's own failures were told already
                throw e;
            }
        }
    }
}
