package io.hlo4j.cli;

import io.hlo4j.runtime.pjrt.SharedLibraryFile;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A {@code --pjrt-plugin} path, checked before the plugin is loaded: a readable file (else refused naming the option),
 * and one that can be a shared library, by the runtime's own check ({@link SharedLibraryFile}, which
 * {@code PjrtPlugin.load} applies too), refused here with the option that named it.
 */
final class PluginFile {
    private PluginFile() {}

    /** {@code option}: where the path came from ({@code --pjrt-plugin} or the environment variable), named in every refusal. */
    static void require(Path p, String option) throws IOException {
        CliFiles.requireInputFile(p, option);
        String why = SharedLibraryFile.problem(p);
        if (why != null) {
            throw new FileSystemException(p.toString(), null, "is not a shared library (" + why + "); " + option
                    + " names a PJRT plugin such as xla_cuda_plugin.so");
        }
    }
}
