package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.build.Constants;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ComplexType;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code stablehlo.fft} transposes, under the unconjugated pairing Re(c * dz) (as JAX's fft.py). The DFT matrix is
 * symmetric, so FFT and IFFT are their own transposes. RFFT is "FFT of the real input, keep the first n/2+1 bins
 * of the last axis": its transpose zero-pads the cotangent back to n bins, applies FFT and keeps the real part.
 * IRFFT reads each interior bin of the last axis twice (it and its Hermitian mirror) and the DC and Nyquist bins
 * once, real part only: its transpose is conj(RFFT(ct) * mask / prod(fft_length)) with mask 2 on the interior bins.
 */
final class FftRules {
    private FftRules() {}

    static void install(VjpRules.Installer in) {
        in.rule("stablehlo.fft", FftRules::fft);
    }

    private static List<Value> fft(Backward b, Operation op, List<Value> g) {
        String type = Attrs.get(op, "fft_type", EnumAttr.class).value();
        Attribute lengths = op.attr("fft_length");
        long[] len = Attrs.i64s(op, "fft_length");
        Value ct = g.get(0);
        TensorType in = Backward.tensor(op.operand(0));
        int r = in.rank();
        return switch (type) {
            case "FFT", "IFFT" -> List.of(emit(b, ct, type, lengths, in));
            case "RFFT" -> {
                long n = len[len.length - 1], m = Backward.tensor(ct).dim(r - 1);
                long[] lo = new long[r], hi = new long[r], interior = new long[r];
                hi[r - 1] = n - m;
                Value re = part(b, "real", ct), im = part(b, "imag", ct);
                Value zero = b.full(TensorType.scalar(Backward.tensor(re).elementType()), 0);
                Value padded = complex(b, b.hlo().pad(re, zero, lo, hi, interior, b.loc()), b.hlo().pad(im, zero, lo, hi, interior, b.loc()));
                TensorType ft = in.withElementType(new ComplexType((FloatType) in.elementType()));
                yield List.of(part(b, "real", emit(b, padded, "FFT", lengths, ft)));
            }
            case "IRFFT" -> {
                Value x = emit(b, ct, "RFFT", lengths, in);
                long n = len[len.length - 1], m = in.dim(r - 1);
                double scale = 1;
                for (long l : len) scale /= l;
                double[] mask = new double[(int) m];
                for (int k = 0; k < m; k++) mask[k] = (k == 0 || (n % 2 == 0 && k == m - 1) ? 1 : 2) * scale;
                Value re = part(b, "real", x), im = part(b, "imag", x);
                TensorType rt = Backward.tensor(re);
                Value mk = b.broadcast(b.hlo().constant(Constants.of(TensorType.of(rt.elementType(), m), mask), b.loc()), rt, new long[] {r - 1});
                yield List.of(complex(b, b.mul(re, mk), b.neg(b.mul(im, mk))));
            }
            default -> throw b.refuse(op, "unknown fft_type " + type);
        };
    }

    private static Value emit(Backward b, Value x, String type, Attribute lengths, TensorType resultType) {
        Map<String, Attribute> p = new TreeMap<>();
        p.put("fft_type", EnumAttr.fftType(type));
        p.put("fft_length", lengths);
        return b.ir().emit("stablehlo.fft", List.of(x), p, List.of(), List.of(resultType), b.loc()).get(0);
    }

    private static Value part(Backward b, String which, Value c) {
        return b.ir().emit1("stablehlo." + which, List.of(c), Map.of(), b.loc());
    }

    private static Value complex(Backward b, Value re, Value im) {
        return b.ir().emit1("stablehlo.complex", List.of(re, im), Map.of(), b.loc());
    }
}
