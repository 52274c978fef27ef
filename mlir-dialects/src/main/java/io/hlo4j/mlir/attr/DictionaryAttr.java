package io.hlo4j.mlir.attr;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * {@code {a = 1 : i32, b}}: named attributes, always kept sorted by name as MLIR's DictionaryAttr is, so the
 * printed order is canonical whatever order they were written in.
 */
public final class DictionaryAttr implements Attribute {
    public static final DictionaryAttr EMPTY = new DictionaryAttr(new TreeMap<>());

    private final SortedMap<String, Attribute> entries;

    private DictionaryAttr(SortedMap<String, Attribute> entries) { this.entries = Collections.unmodifiableSortedMap(entries); }

    public static DictionaryAttr of(Map<String, ? extends Attribute> entries) {
        return entries.isEmpty() ? EMPTY : new DictionaryAttr(new TreeMap<>(entries));
    }

    public SortedMap<String, Attribute> asMap() { return entries; }
    public Attribute get(String name) { return entries.get(name); }
    public boolean contains(String name) { return entries.containsKey(name); }
    public boolean isEmpty() { return entries.isEmpty(); }
    public int size() { return entries.size(); }

    public DictionaryAttr with(String name, Attribute value) {
        TreeMap<String, Attribute> m = new TreeMap<>(entries);
        m.put(name, value);
        return new DictionaryAttr(m);
    }

    public DictionaryAttr without(String name) {
        if (!entries.containsKey(name)) return this;
        TreeMap<String, Attribute> m = new TreeMap<>(entries);
        m.remove(name);
        return m.isEmpty() ? EMPTY : new DictionaryAttr(m);
    }

    @Override public boolean equals(Object o) { return o instanceof DictionaryAttr d && d.entries.equals(entries); }
    @Override public int hashCode() { return entries.hashCode(); }
    @Override public String toString() { return AttrText.dictionary(this); }
}
