package io.hlo4j.mlir.ir;

import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A basic block: arguments and a list of operations, the last being the terminator. Built once with
 * {@link Builder} (arguments first, so operations can use them), immutable afterwards.
 */
public final class Block {
    private final List<BlockArgument> arguments;
    private final List<Operation> operations;
    private final String label;
    private Region parent;

    private Block(List<BlockArgument> arguments, List<Operation> operations, String label) {
        this.arguments = Collections.unmodifiableList(arguments);
        this.operations = Collections.unmodifiableList(operations);
        this.label = label;
        for (BlockArgument a : arguments) a.setOwner(this);
        for (Operation op : operations) op.setParent(this);
    }

    public List<BlockArgument> arguments() { return arguments; }
    public BlockArgument argument(int i) { return arguments.get(i); }
    public List<Operation> operations() { return operations; }
    /** The label it was parsed with ({@code bb0}), or null. Printers renumber; this is informational. */
    public String label() { return label; }
    public Region parent() { return parent; }
    public Operation terminator() { return operations.isEmpty() ? null : operations.get(operations.size() - 1); }

    void setParent(Region r) {
        if (parent != null) throw new IllegalStateException("block already belongs to a region");
        parent = r;
    }

    public static Builder builder() { return new Builder(); }

    /** Collects arguments then operations; {@link #build()} freezes them. Not thread-safe. */
    public static final class Builder {
        private final List<BlockArgument> arguments = new ArrayList<>();
        private final List<Operation> operations = new ArrayList<>();
        private String label;
        private boolean built;

        public BlockArgument addArgument(Type type) { return addArgument(type, Location.UNKNOWN); }

        public BlockArgument addArgument(Type type, Location loc) {
            check();
            BlockArgument a = new BlockArgument(type, arguments.size(), loc);
            arguments.add(a);
            return a;
        }

        public List<BlockArgument> arguments() { return Collections.unmodifiableList(arguments); }

        public Builder label(String l) { label = l; return this; }

        public Operation append(Operation op) {
            check();
            operations.add(op);
            return op;
        }

        public List<Operation> operations() { return Collections.unmodifiableList(operations); }

        public Block build() {
            check();
            built = true;
            return new Block(new ArrayList<>(arguments), new ArrayList<>(operations), label);
        }

        private void check() { if (built) throw new IllegalStateException("block already built"); }
    }
}
