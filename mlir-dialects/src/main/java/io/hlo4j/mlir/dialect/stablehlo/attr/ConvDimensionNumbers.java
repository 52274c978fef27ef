package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.HashMap;
import java.util.Map;

/**
 * {@code #stablehlo.conv<[b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]>}: the layout of a convolution's input,
 * kernel and output. Position {@code k} of each bracket names what tensor dimension {@code k} is: a batch
 * ({@code b}) / feature ({@code f}) / kernel input ({@code i}) / kernel output ({@code o}) dimension or spatial
 * dimension number n. {@code inputSpatialDimensions[n]} is the tensor dimension holding spatial dimension n.
 */
public record ConvDimensionNumbers(long inputBatchDimension, long inputFeatureDimension, Dims inputSpatialDimensions,
                                   long kernelInputFeatureDimension, long kernelOutputFeatureDimension,
                                   Dims kernelSpatialDimensions, long outputBatchDimension,
                                   long outputFeatureDimension, Dims outputSpatialDimensions)
        implements DialectAttribute {
    @Override public String name() { return "stablehlo.conv"; }

    /** The pretty-form text {@code [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f]}. */
    public String body() {
        return layout(inputSpatialDimensions, inputBatchDimension, 'b', inputFeatureDimension, 'f') + "x"
                + layout(kernelSpatialDimensions, kernelInputFeatureDimension, 'i', kernelOutputFeatureDimension, 'o')
                + "->" + layout(outputSpatialDimensions, outputBatchDimension, 'b', outputFeatureDimension, 'f');
    }

    @Override public String toString() { return "#stablehlo.conv<" + body() + ">"; }

    private static String layout(Dims spatial, long d1, char c1, long d2, char c2) {
        int rank = spatial.size() + 2;
        String[] slots = new String[rank];
        if (d1 < 0 || d1 >= rank || d2 < 0 || d2 >= rank || d1 == d2) {
            throw new IllegalStateException("invalid non-spatial convolution dimensions " + d1 + ", " + d2 + " for rank " + rank);
        }
        slots[(int) d1] = String.valueOf(c1);
        slots[(int) d2] = String.valueOf(c2);
        for (int n = 0; n < spatial.size(); n++) {
            long d = spatial.get(n);
            if (d < 0 || d >= rank || slots[(int) d] != null) throw new IllegalStateException("invalid spatial convolution dimension " + d);
            slots[(int) d] = Integer.toString(n);
        }
        return "[" + String.join(", ", slots) + "]";
    }

    /** Positioned at '<': the compact form, or {@code raw} followed by a key/value struct. */
    public static ConvDimensionNumbers parse(AsmParser p) {
        p.expect("<");
        if (p.consumeKeywordIf("raw")) return parseRaw(p);
        ConvDimensionNumbers c = parseBody(p);
        p.expect(">");
        return c;
    }

    /** The compact {@code [..]x[..]->[..]} form (also what the pretty convolution syntax writes). */
    public static ConvDimensionNumbers parseBody(AsmParser p) {
        Layout in = Layout.parse(p, 'b', 'f');
        if (!p.consumeIf("x")) p.expectKeyword("x");
        Layout k = Layout.parse(p, 'i', 'o');
        p.expect("->");
        Layout out = Layout.parse(p, 'b', 'f');
        return new ConvDimensionNumbers(in.first, in.second, in.spatial, k.first, k.second, k.spatial,
                out.first, out.second, out.spatial);
    }

    private record Layout(long first, long second, Dims spatial) {
        static Layout parse(AsmParser p, char c1, char c2) {
            p.expect("[");
            long first = -1, second = -1;
            Map<Long, Long> spatial = new HashMap<>();
            long max = -1;
            int index = 0;
            do {
                if (p.peekInteger()) {
                    long d = p.parseInteger();
                    if (d < 0) throw p.error("Unexpected dimension " + d);
                    if (spatial.put(d, (long) index) != null) throw p.error("Duplicate entries for spatial dimension " + d);
                    max = Math.max(max, d);
                } else {
                    String kw = p.parseKeyword();
                    if (kw.length() == 1 && kw.charAt(0) == c1 && first < 0) first = index;
                    else if (kw.length() == 1 && kw.charAt(0) == c2 && second < 0) second = index;
                    else throw p.error("Unexpected dimension " + kw + ", expecting " + c1 + ", " + c2);
                }
                index++;
            } while (p.consumeIf(","));
            if (first < 0 || second < 0) throw p.error("Expected dimensions " + c1 + ", " + c2 + " not specified");
            p.expect("]");
            long[] sp = new long[(int) (max + 1)];
            for (int d = 0; d < sp.length; d++) {
                Long at = spatial.get((long) d);
                if (at == null) throw p.error("Expected spatial dimensions " + d + " not specified");
                sp[d] = at;
            }
            return new Layout(first, second, Dims.of(sp));
        }
    }

    private static ConvDimensionNumbers parseRaw(AsmParser p) {
        long[] v = new long[6];
        Dims[] d = {Dims.EMPTY, Dims.EMPTY, Dims.EMPTY};
        // parseRaw is called after '<raw'; StructFields wants the '<' so re-enter its loop by hand.
        String[] ints = {"input_batch_dimension", "input_feature_dimension", "kernel_input_feature_dimension",
                "kernel_output_feature_dimension", "output_batch_dimension", "output_feature_dimension"};
        String[] lists = {"input_spatial_dimensions", "kernel_spatial_dimensions", "output_spatial_dimensions"};
        while (!p.consumeIf(">")) {
            String key = p.parseKeyword();
            p.expect("=");
            int i = java.util.Arrays.asList(ints).indexOf(key);
            int l = java.util.Arrays.asList(lists).indexOf(key);
            if (i >= 0) v[i] = p.parseInteger();
            else if (l >= 0) d[l] = Dims.parse(p);
            else throw p.error("#stablehlo.conv raw: unexpected key '" + key + "'");
            if (!p.consumeIf(",")) { p.expect(">"); break; }
        }
        return new ConvDimensionNumbers(v[0], v[1], d[0], v[2], v[3], d[1], v[4], v[5], d[2]);
    }
}
