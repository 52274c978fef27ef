package io.hlo4j.runtime.pjrt;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.LinkedHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * A C struct laid out as gcc does on LP64 (each field at its natural alignment). Knows both sizes the
 * PJRT header distinguishes: {@link #structSize()} = offset + size of the last field (what goes in
 * {@code struct_size}) and {@link #sizeOf()} = C's sizeof, with the tail padding.
 */
final class CStruct {
    private final String name;
    private final Map<String, Long> offsets = new LinkedHashMap<>();
    private final long structSize;
    private final long sizeOf;

    private CStruct(String name, Object[] fields) {
        this.name = name;
        long off = 0, align = 1, end = 0;
        for (int i = 0; i < fields.length; i += 2) {
            String field = (String) fields[i];
            ValueLayout layout = (ValueLayout) fields[i + 1];
            long a = layout.byteAlignment();
            off = (off + a - 1) / a * a;
            offsets.put(field, off);
            off += layout.byteSize();
            end = off;
            align = Math.max(align, a);
        }
        this.structSize = end;
        this.sizeOf = (end + align - 1) / align * align;
    }

    /** A struct of (name, layout) pairs, in order. */
    static CStruct of(String name, Object... fields) { return new CStruct(name, fields); }

    /** An Args struct: the common {@code struct_size, extension_start} header, then the fields. */
    static CStruct args(String name, Object... fields) {
        Object[] all = new Object[fields.length + 4];
        all[0] = "struct_size";
        all[1] = JAVA_LONG;
        all[2] = "extension_start";
        all[3] = ADDRESS;
        System.arraycopy(fields, 0, all, 4, fields.length);
        return new CStruct(name, all);
    }

    String name() { return name; }

    long structSize() { return structSize; }

    long sizeOf() { return sizeOf; }

    long off(String field) {
        Long o = offsets.get(field);
        if (o == null) throw new IllegalArgumentException(name + " has no field '" + field + "'");
        return o;
    }

    /** Zero-filled, with {@code struct_size} set (the header's STRUCT_SIZE, not sizeof). */
    MemorySegment allocate(Arena arena) {
        MemorySegment s = arena.allocate(sizeOf, 8);
        s.set(JAVA_LONG, 0, structSize);
        return s;
    }

    /** {@code n} zero-filled elements of this struct, each with its {@code struct_size} set. */
    MemorySegment allocateArray(Arena arena, int n) {
        MemorySegment s = arena.allocate(sizeOf * Math.max(n, 1), 8);
        for (int i = 0; i < n; i++) s.set(JAVA_LONG, i * sizeOf, structSize);
        return s;
    }
}
