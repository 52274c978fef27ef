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
 * a gap in the numbers, no numbered file at all.
 */
final class InputFolders {
    private InputFolders() {}

    private static final Pattern NUMBERED = Pattern.compile("(.*?)(\\d{1,6})\\.npy");

    /** {@code inputs} with each folder replaced by its numbered files; files stay as they are. */
    static List<Path> expand(List<Path> inputs) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : inputs) {
            // an empty path reads as the working folder; it stays a path, which the file check names as empty
            if (!p.toString().isEmpty() && Files.isDirectory(p)) out.addAll(numbered(p));
            else out.add(p);
        }
        return out;
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
                byNumber.put(Integer.parseInt(m.group(2)), f);
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
