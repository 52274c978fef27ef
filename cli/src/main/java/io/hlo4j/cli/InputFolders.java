package io.hlo4j.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code run --input FOLDER}: a folder stands for its numbered {@code .npy} files, {@code <prefix>0.npy},
 * {@code <prefix>1.npy}, ... in number order (so arg10 comes after arg9), as {@code dump --inputs} and {@code run -o}
 * write them. Anything else in the folder is refused rather than guessed at: other {@code .npy} names, two prefixes,
 * a gap in the numbers, a number written twice ({@code arg2.npy} and {@code arg02.npy}), no numbered file at all.
 * The writers keep their folders exact: {@link #removeBeyond} deletes the numbered files of a previous, longer write.
 */
final class InputFolders {
    private InputFolders() {}

    private static final Pattern NUMBERED = Pattern.compile("(.*?)(\\d{1,6})\\.npy");

    /**
     * The input files, and {@code note}: what each folder stood for ({@code --input /tmp/in stands for
     * result0..result2.npy (3 files)}), empty when no folder was given, for the argument-count error.
     */
    record Expanded(List<Path> files, String note) {}

    /** {@code inputs} with each folder replaced by its numbered files; files stay as they are. */
    static Expanded expand(List<Path> inputs) throws IOException {
        List<Path> out = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Path p : inputs) {
            // an empty path reads as the working folder; it stays a path, which the file check names as empty
            if (!p.toString().isEmpty() && Files.isDirectory(p)) {
                List<Path> files = numbered(p);
                String first = files.getFirst().getFileName().toString(), last = files.getLast().getFileName().toString();
                notes.add("--input " + p + " stands for " + (files.size() == 1 ? first + " (1 file)"
                        : first.substring(0, first.length() - 4) + ".." + last + " (" + files.size() + " files)"));
                out.addAll(files);
            } else {
                out.add(p);
            }
        }
        String note = String.join(", ", notes);
        if (!notes.isEmpty() && notes.size() < inputs.size()) note += " (" + out.size() + " --input files in all)";
        return new Expanded(List.copyOf(out), note);
    }

    /**
     * Deletes the {@code <prefix><i>.npy} files of {@code dir} other than {@code <prefix>0.npy} ..
     * {@code <prefix><count-1>.npy} (those a writer just wrote): left from an earlier, longer write, they would make
     * the folder stand for more files than the last write made. Other files are left alone; a missing folder is fine.
     */
    static void removeBeyond(Path dir, String prefix, int count) throws IOException {
        if (!Files.isDirectory(dir)) return;
        Pattern ours = Pattern.compile(Pattern.quote(prefix) + "(\\d{1,6})\\.npy");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                Matcher m = ours.matcher(name);
                if (!m.matches() || !Files.isRegularFile(f)) continue;
                int i = Integer.parseInt(m.group(1));
                if (i < count && name.equals(prefix + i + ".npy")) continue;
                try {
                    Files.delete(f);
                } catch (IOException e) {
                    throw new java.nio.file.FileSystemException(f.toString(), null, "cannot remove this stale file (" + prefix + "0.npy .. "
                            + prefix + (count - 1) + ".npy were just written): " + e.getMessage());
                }
            }
        }
    }

    private static List<Path> numbered(Path dir) throws IOException {
        TreeMap<Integer, Path> byNumber = new TreeMap<>();
        String prefix = null;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".npy")) continue;
                Matcher m = NUMBERED.matcher(name);
                if (!m.matches()) throw refuse(dir, name + " is not a numbered file (<name><i>.npy)");
                if (prefix == null) prefix = m.group(1);
                else if (!prefix.equals(m.group(1))) {
                    throw refuse(dir, "it holds both " + prefix + "<i>.npy and " + m.group(1) + "<i>.npy files");
                }
                Path twice = byNumber.put(Integer.parseInt(m.group(2)), f);
                if (twice != null) {
                    throw refuse(dir, "it holds both " + twice.getFileName() + " and " + name + " (the same number written twice)");
                }
            }
        }
        if (byNumber.isEmpty()) throw refuse(dir, "it holds no numbered .npy file");
        for (int i = 0; i < byNumber.size(); i++) {
            if (!byNumber.containsKey(i)) throw refuse(dir, prefix + i + ".npy is missing (found " + byNumber.size() + " numbered files)");
        }
        return new ArrayList<>(byNumber.values());
    }

    private static FileSystemException refuse(Path dir, String why) {
        return new FileSystemException(dir.toString(), null, "--input folder: " + why);
    }
}
