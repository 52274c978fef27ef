package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One operation: name, operands, results, inherent attributes ("properties", printed in {@code <{...}>} in
 * generic form), discardable attributes, regions and a location. Immutable once built; results are created
 * by the operation itself so they can point back at it.
 */
public final class Operation {
    private final String name;
    private final List<Value> operands;
    private final List<OpResult> results;
    private final DictionaryAttr properties;
    private final DictionaryAttr attributes;
    private final List<Region> regions;
    private final Location location;
    private Block parent;

    private Operation(String name, List<Value> operands, List<Type> resultTypes, DictionaryAttr properties,
                      DictionaryAttr attributes, List<Region> regions, Location location) {
        this.name = name;
        this.operands = List.copyOf(operands);
        List<OpResult> rs = new ArrayList<>(resultTypes.size());
        for (int i = 0; i < resultTypes.size(); i++) rs.add(new OpResult(this, i, resultTypes.get(i)));
        this.results = Collections.unmodifiableList(rs);
        this.properties = properties;
        this.attributes = attributes;
        this.regions = List.copyOf(regions);
        this.location = location == null ? Location.UNKNOWN : location;
        for (Region r : this.regions) r.setParent(this);
    }

    public String name() { return name; }
    /** The dialect prefix: "stablehlo" for "stablehlo.add". */
    public String dialect() {
        int dot = name.indexOf('.');
        return dot < 0 ? "" : name.substring(0, dot);
    }
    public List<Value> operands() { return operands; }
    public Value operand(int i) { return operands.get(i); }
    public int numOperands() { return operands.size(); }
    public List<OpResult> results() { return results; }
    public OpResult result(int i) { return results.get(i); }
    public OpResult result() {
        if (results.size() != 1) throw new IllegalStateException(name + " has " + results.size() + " results, not 1");
        return results.get(0);
    }
    public int numResults() { return results.size(); }
    public List<Type> resultTypes() { return results.stream().map(OpResult::type).toList(); }
    public List<Type> operandTypes() { return operands.stream().map(Value::type).toList(); }
    public DictionaryAttr properties() { return properties; }
    public DictionaryAttr attributes() { return attributes; }
    /** A property if present, else a discardable attribute of that name, else null. */
    public Attribute attr(String key) {
        Attribute a = properties.get(key);
        return a != null ? a : attributes.get(key);
    }
    public boolean hasAttr(String key) { return properties.contains(key) || attributes.contains(key); }
    public List<Region> regions() { return regions; }
    public Region region(int i) { return regions.get(i); }
    public Location location() { return location; }
    public Block parent() { return parent; }

    /** The registered definition, or null for an op no dialect declares. */
    public OpDef def() { return OpRegistry.global().lookup(name); }

    void setParent(Block b) {
        if (parent != null) throw new IllegalStateException("operation " + name + " already belongs to a block");
        parent = b;
    }

    /** A builder seeded with this op's name, operands, result types, attributes and location (not regions). */
    public Builder toBuilder() {
        Builder b = builder(name).operands(operands).resultTypes(resultTypes()).location(location);
        b.properties.putAll(properties.asMap());
        b.attributes.putAll(attributes.asMap());
        return b;
    }

    public static Builder builder(String name) { return new Builder(name); }

    @Override public String toString() { return "Operation(" + name + " at " + location.describe() + ")"; }

    /** Collects an operation's parts. Properties and attributes are sorted by name, as MLIR keeps them. */
    public static final class Builder {
        private final String name;
        private final List<Value> operands = new ArrayList<>();
        private final List<Type> resultTypes = new ArrayList<>();
        private final Map<String, Attribute> properties = new TreeMap<>();
        private final Map<String, Attribute> attributes = new TreeMap<>();
        private final List<Region> regions = new ArrayList<>();
        private Location location = Location.UNKNOWN;

        private Builder(String name) { this.name = name; }

        public String name() { return name; }
        public Builder operand(Value v) { operands.add(v); return this; }
        public Builder operands(List<? extends Value> vs) { operands.addAll(vs); return this; }
        public Builder operands(Value... vs) { return operands(List.of(vs)); }
        public List<Value> operands() { return Collections.unmodifiableList(operands); }
        public Builder resultType(Type t) { resultTypes.add(t); return this; }
        public Builder resultTypes(List<? extends Type> ts) { resultTypes.addAll(ts); return this; }
        public Builder resultTypes(Type... ts) { return resultTypes(List.of(ts)); }
        public List<Type> resultTypes() { return Collections.unmodifiableList(resultTypes); }
        /** An inherent attribute (printed in {@code <{...}>} in generic form). */
        public Builder property(String key, Attribute value) { properties.put(key, value); return this; }
        /** A discardable attribute (e.g. {@code mhlo.sharding}, {@code jax.result_info}). */
        public Builder attribute(String key, Attribute value) { attributes.put(key, value); return this; }
        public Builder properties(DictionaryAttr d) { properties.putAll(d.asMap()); return this; }
        public Builder attributes(DictionaryAttr d) { attributes.putAll(d.asMap()); return this; }
        public Map<String, Attribute> propertiesView() { return Collections.unmodifiableMap(properties); }
        public Map<String, Attribute> attributesView() { return Collections.unmodifiableMap(attributes); }
        public Builder removeAttribute(String key) { attributes.remove(key); return this; }
        public Builder removeProperty(String key) { properties.remove(key); return this; }
        public Builder region(Region r) { regions.add(r); return this; }
        public Builder regions(List<Region> rs) { regions.addAll(rs); return this; }
        public Builder location(Location l) { location = l == null ? Location.UNKNOWN : l; return this; }
        public Location location() { return location; }

        public Operation build() {
            return new Operation(name, operands, resultTypes, DictionaryAttr.of(properties), DictionaryAttr.of(attributes),
                    regions, location);
        }
    }
}
