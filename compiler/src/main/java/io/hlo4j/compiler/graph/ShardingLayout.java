package io.hlo4j.compiler.graph;

import io.hlo4j.mlir.dialect.sdy.AxisRef;
import io.hlo4j.mlir.dialect.sdy.MeshAttr;
import io.hlo4j.mlir.dialect.sdy.MeshCoordinates;
import io.hlo4j.mlir.dialect.sdy.TensorSharding;
import io.hlo4j.mlir.types.TensorType;

import java.util.ArrayList;
import java.util.List;

/**
 * Which device holds which block of a sharded tensor. Device k of the mesh (k in row-major order over the
 * mesh axes; its id is the mesh's {@code device_ids[k]}, or k) has a coordinate on every axis; dimension d
 * sharded over axes (a, b) (major to minor) is cut into size(a) x size(b) blocks and the device takes block
 * coord(a) x size(b) + coord(b), with coordinates from {@link MeshCoordinates} (the mapping the interpreter's
 * shard layout uses; a sub-axis {@code "x":(p)s} of an axis of size n has coordinate coord(x) / (n / (p s)) mod s). Devices
 * that differ only on axes no dimension uses hold the same block (replicas).
 *
 * <p>For the picture, dimensions are folded to two: rows are the blocks of every dimension but the last
 * (row-major), columns the blocks of the last one (a rank-1 tensor is one row, a scalar one cell).
 */
public record ShardingLayout(TensorType type, TensorSharding sharding, MeshAttr mesh, long[] blocksPerDim,
                             long[] blockShape, int rows, int cols, List<List<Long>> devicesPerCell) {

    /** The most devices a layout places (as many as the blocks it draws). */
    public static final long MAX_DEVICES = 1 << 16;

    public static ShardingLayout of(TensorType type, TensorSharding sharding, MeshAttr mesh) {
        if (sharding.rank() != type.rank()) {
            throw new IllegalArgumentException("sharding " + sharding + " has " + sharding.rank() + " dimensions for " + type);
        }
        int rank = type.rank();
        long[] blocks = new long[rank];
        long[] blockShape = new long[rank];
        for (int d = 0; d < rank; d++) {
            long n = 1;
            for (AxisRef a : sharding.axesOfDim(d)) {
                long s = a.size(mesh);
                if (s <= 0) throw new IllegalArgumentException("sharding " + sharding + " names axis " + a + ", which mesh " + mesh + " does not have");
                n *= s;
            }
            blocks[d] = n;
            blockShape[d] = type.isDynamicDim(d) ? -1 : (type.dim(d) + n - 1) / n; // -1: dynamic
        }
        long rowsL = 1;
        for (int d = 0; d < rank - 1; d++) rowsL *= blocks[d];
        long colsL = rank == 0 ? 1 : blocks[rank - 1];
        if (rowsL * colsL > 1 << 16) throw new IllegalArgumentException("too many blocks to draw: " + rowsL * colsL);
        int rows = (int) rowsL, cols = (int) colsL;
        // every device is placed in a cell and listed there: a mesh past this many is refused before its device list is built
        long total;
        try {
            total = Math.max(1, mesh.totalSize());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("too many devices to draw: mesh " + mesh + " has more than 2^63 (at most " + MAX_DEVICES + ")");
        }
        if (total > MAX_DEVICES) throw new IllegalArgumentException("too many devices to draw: mesh " + mesh + " has " + total + " (at most " + MAX_DEVICES + ")");
        List<Long> ids = mesh.deviceOrder();
        List<List<Long>> cells = new ArrayList<>();
        for (int i = 0; i < rows * cols; i++) cells.add(new ArrayList<>());
        for (long k = 0; k < total; k++) {
            long[] coord = MeshCoordinates.of(mesh, k);
            long row = 0, col = 0;
            for (int d = 0; d < rank; d++) {
                long idx = MeshCoordinates.linear(mesh, sharding.axesOfDim(d), coord);
                if (d < rank - 1) row = row * blocks[d] + idx;
                else col = idx;
            }
            cells.get((int) (row * cols + col)).add(ids.isEmpty() ? k : ids.get((int) k));
        }
        List<List<Long>> frozen = cells.stream().map(List::copyOf).toList();
        return new ShardingLayout(type, sharding, mesh, blocks, blockShape, rows, cols, frozen);
    }

    public List<Long> devicesAt(int row, int col) { return devicesPerCell.get(row * cols + col); }

    /**
     * The dimensions whose size the block count does not divide: the block shape is rounded up there, as Shardy
     * pads, while hlo4j's partitioner and interpreter refuse such a split. Empty when every split is even.
     */
    public List<Integer> unevenDims() {
        List<Integer> out = new ArrayList<>();
        for (int d = 0; d < blocksPerDim.length; d++) if (!type.isDynamicDim(d) && type.dim(d) % blocksPerDim[d] != 0) out.add(d);
        return out;
    }

    /** {@code 0,1} or {@code 0-3} for consecutive ids. */
    static String deviceList(List<Long> ids) {
        if (ids.isEmpty()) return "-";
        boolean consecutive = ids.size() > 2;
        for (int i = 1; i < ids.size() && consecutive; i++) consecutive = ids.get(i) == ids.get(i - 1) + 1;
        if (consecutive) return ids.get(0) + "-" + ids.getLast();
        StringBuilder sb = new StringBuilder();
        for (Long id : ids) sb.append(sb.isEmpty() ? "" : ",").append(id);
        return sb.toString();
    }

    /** The picture as a box-drawn table, one cell per block, listing the devices that hold it. */
    public String table() {
        String[][] text = new String[rows][cols];
        int width = 3;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                text[r][c] = "dev " + deviceList(devicesAt(r, c));
                width = Math.max(width, text[r][c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        String line = "+" + ("-".repeat(width + 2) + "+").repeat(cols) + "\n";
        sb.append(line);
        for (int r = 0; r < rows; r++) {
            sb.append('|');
            for (int c = 0; c < cols; c++) {
                String t = text[r][c];
                int pad = width - t.length();
                sb.append(' ').append(" ".repeat(pad / 2)).append(t).append(" ".repeat(pad - pad / 2)).append(" |");
            }
            sb.append('\n').append(line);
        }
        return sb.toString();
    }
}
