package io.hlo4j.dsl.moe;

/** {@link WeightAlgebra} over plain [N][slots] double arrays, for tests and host-side checks. */
final class HostWeights implements WeightAlgebra<double[][]> {
    static final HostWeights OPS = new HostWeights();

    @Override
    public double[][] sumLastKeepDims(double[][] w) {
        double[][] r = new double[w.length][1];
        for (int i = 0; i < w.length; i++) {
            for (double v : w[i]) r[i][0] += v;
        }
        return r;
    }

    @Override
    public double[][] maximum(double[][] a, double floor) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i].clone();
            for (int j = 0; j < r[i].length; j++) r[i][j] = Math.max(r[i][j], floor);
        }
        return r;
    }

    @Override
    public double[][] divide(double[][] a, double[][] b) {
        double[][] r = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            r[i] = new double[a[i].length];
            for (int j = 0; j < a[i].length; j++) r[i][j] = a[i][j] / b[i][b[i].length == 1 ? 0 : j];
        }
        return r;
    }

    @Override
    public double[][] fullLike(double[][] like, double value) {
        double[][] r = new double[like.length][];
        for (int i = 0; i < like.length; i++) {
            r[i] = new double[like[i].length];
            java.util.Arrays.fill(r[i], value);
        }
        return r;
    }
}
