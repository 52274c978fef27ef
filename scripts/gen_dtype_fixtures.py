#!/usr/bin/env python3
"""Writes the .npy fixtures that runtime tests compare against bit for bit.

Oracles, all independent of the Java code:
  * f64 -> f32 / f16: numpy's own casts (each rounds once, to nearest even, directly from f64).
  * f64 -> bf16, tf32 and every f8 / f6 / f4 kind: exact rational arithmetic (fractions.Fraction) over the
    explicit list of every representable value of the format (or, for the 16/19-bit formats, of the two
    neighbours of the input), picking the nearest and breaking ties towards the even significand.
  * integer wraparound: numpy astype for native widths, Python modular arithmetic for 2 and 4 bits.
  * float -> int: Python's exact math.trunc with saturation (NaN -> 0), cross-checked against numpy astype
    for the in-range values.
  * int -> float: exact rational rounding of the Python integer.
  * npy files of every dtype written by numpy itself (plus one array in each of header versions 1.0, 2.0 and
    3.0, a big-endian and a Fortran-order file), each with its raw little-endian C-order bytes alongside; and
    files with the descr strings ml_dtypes produces ('<V2' for bfloat16, '<V1' for the one-byte kinds) or some
    writers use ('bfloat16', 'float8_e4m3fn'), built by hand since ml_dtypes is not installed.
Deterministic: fixed seeds, no timestamps. Run from the repository root:
    python3 scripts/gen_dtype_fixtures.py
"""
import bisect
import math
import os
import struct
from fractions import Fraction

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), '..', 'runtime', 'src', 'test', 'resources', 'fixtures')

# name: (total bits, exponent bits, mantissa bits, bias, kind) with kind one of
#   ieee     - all-ones exponent is inf (mantissa 0) / NaN
#   fn       - only S.1..1.1..1 is NaN, no inf
#   fnuz     - 0x80 is the only NaN, no inf, no -0
#   mx       - no NaN, no inf (saturating)
#   e8m0     - unsigned, exponent only, 0xFF NaN, no zero
FORMATS = {
    'bf16': (16, 8, 7, 127, 'ieee'),
    'tf32': (19, 8, 10, 127, 'ieee'),
    'f8E4M3FN': (8, 4, 3, 7, 'fn'),
    'f8E5M2': (8, 5, 2, 15, 'ieee'),
    'f8E4M3FNUZ': (8, 4, 3, 8, 'fnuz'),
    'f8E5M2FNUZ': (8, 5, 2, 16, 'fnuz'),
    'f8E4M3B11FNUZ': (8, 4, 3, 11, 'fnuz'),
    'f8E4M3': (8, 4, 3, 7, 'ieee'),
    'f8E3M4': (8, 3, 4, 3, 'ieee'),
    'f8E8M0FNU': (8, 8, 0, 127, 'e8m0'),
    'f4E2M1FN': (4, 2, 1, 1, 'mx'),
    'f6E2M3FN': (6, 2, 3, 1, 'mx'),
    'f6E3M2FN': (6, 3, 2, 3, 'mx'),
}


def save(rel, arr):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, arr, allow_pickle=False)


def value_of(fmt, code):
    """Exact value (Fraction) of a non-negative, finite magnitude code, or None for NaN/inf codes."""
    width, e_bits, m_bits, bias, kind = fmt
    e = code >> m_bits
    m = code & ((1 << m_bits) - 1)
    e_max = (1 << e_bits) - 1
    if kind == 'ieee' and e == e_max:
        return None
    if kind == 'fn' and e == e_max and m == (1 << m_bits) - 1:
        return None
    if kind == 'e8m0':
        return None if e == 0xFF else Fraction(2) ** (e - bias)
    if e == 0:
        return Fraction(m, 1 << m_bits) * Fraction(2) ** (1 - bias)
    return (1 + Fraction(m, 1 << m_bits)) * Fraction(2) ** (e - bias)


def significand_int(fmt, code):
    """The integer significand of a magnitude code (its parity decides ties)."""
    width, e_bits, m_bits, bias, kind = fmt
    e = code >> m_bits
    m = code & ((1 << m_bits) - 1)
    return m if (e == 0 and kind != 'e8m0') else (1 << m_bits) | m


def sign_bit(fmt):
    width, _, _, _, kind = fmt
    return 0 if kind == 'e8m0' else 1 << (width - 1)


def magnitude_codes(fmt):
    width = fmt[0]
    n = 1 << (width - (0 if fmt[4] == 'e8m0' else 1))
    return [c for c in range(n) if value_of(fmt, c) is not None]


def nan_code(fmt, negative):
    width, e_bits, m_bits, bias, kind = fmt
    s = sign_bit(fmt) if negative else 0
    if kind == 'ieee':
        return s | (((1 << e_bits) - 1) << m_bits) | (1 << (m_bits - 1))
    if kind == 'fn':
        return s | ((1 << (width - 1)) - 1)
    if kind == 'fnuz':
        return 0x80
    if kind == 'e8m0':
        return 0xFF
    raise ValueError('no NaN')


def overflow_code(fmt, negative, max_code):
    width, e_bits, m_bits, bias, kind = fmt
    s = sign_bit(fmt) if negative else 0
    if kind == 'ieee':
        return s | (((1 << e_bits) - 1) << m_bits)
    if kind == 'mx':
        return s | max_code
    return nan_code(fmt, negative)


class Rounder:
    """Round-to-nearest-even onto an explicit sorted list of representable magnitudes."""

    def __init__(self, fmt):
        self.fmt = fmt
        codes = magnitude_codes(fmt)
        self.codes = sorted(codes, key=lambda c: value_of(fmt, c))
        self.values = [value_of(fmt, c) for c in self.codes]
        self.max_code = self.codes[-1]
        # The next step above the largest finite value: where rounding would go if the exponent range
        # were unbounded. Ties against it decide overflow like any other tie.
        width, e_bits, m_bits, bias, kind = fmt
        top = self.values[-1]
        ulp = Fraction(2) ** (math.floor(math.log2(top)) - m_bits) if kind != 'e8m0' else top
        self.beyond = top + ulp

    def encode(self, x):
        fmt = self.fmt
        kind = fmt[4]
        if math.isnan(x):
            return nan_code(fmt, math.copysign(1, x) < 0)
        negative = math.copysign(1, x) < 0
        if math.isinf(x):
            return overflow_code(fmt, negative, self.max_code)
        if kind == 'e8m0':
            if negative and x != 0:
                return 0xFF
            if x == 0:
                return 0x00  # no zero: the smallest value, as for any underflow
        a = abs(Fraction(x))
        s = sign_bit(fmt) if negative else 0
        if a >= self.values[-1]:
            lo_code, lo, hi, hi_code = self.max_code, self.values[-1], self.beyond, None
        else:
            i = bisect.bisect_right(self.values, a)
            if i == 0:
                # below the smallest representable magnitude (only e8m0, which has no zero)
                return 0x00
            lo_code, lo = self.codes[i - 1], self.values[i - 1]
            hi_code, hi = self.codes[i], self.values[i]
        if a == lo:
            pick = lo_code
        elif a - lo < hi - a:
            pick = lo_code
        elif a - lo > hi - a:
            pick = hi_code
        else:
            if kind == 'e8m0':
                pick = hi_code  # the significand is the lone implicit 1 on both sides: odd; go up
            else:
                lo_even = significand_int(fmt, lo_code) % 2 == 0
                if hi_code is None:
                    pick = lo_code if lo_even else None
                else:
                    pick = lo_code if lo_even else hi_code
        if pick is None:
            return overflow_code(fmt, negative, self.max_code)
        if kind == 'fnuz' and pick == 0:
            return 0
        if kind == 'e8m0':
            return pick
        return s | pick


class WideRounder(Rounder):
    """Same rule for the 16/19-bit formats, whose neighbours are found arithmetically, not by listing."""

    def __init__(self, fmt):
        self.fmt = fmt
        width, e_bits, m_bits, bias, kind = fmt
        self.max_code = (((1 << e_bits) - 2) << m_bits) | ((1 << m_bits) - 1)
        self.values = [value_of(fmt, self.max_code)]
        top = self.values[-1]
        self.beyond = top + Fraction(2) ** (math.floor(math.log2(top)) - m_bits)

    def encode(self, x):
        fmt = self.fmt
        width, e_bits, m_bits, bias, kind = fmt
        if math.isnan(x) or math.isinf(x):
            return Rounder.encode(self, x)
        negative = math.copysign(1, x) < 0
        s = sign_bit(fmt) if negative else 0
        a = abs(Fraction(x))
        if a == 0:
            return s
        # Binary search over magnitude codes (values increase with the code).
        lo_c, hi_c = 0, self.max_code
        if a >= value_of(fmt, self.max_code):
            lo_code, lo, hi_code, hi = self.max_code, value_of(fmt, self.max_code), None, self.beyond
        else:
            while hi_c - lo_c > 1:
                mid = (lo_c + hi_c) // 2
                if value_of(fmt, mid) <= a:
                    lo_c = mid
                else:
                    hi_c = mid
            lo_code, lo, hi_code, hi = lo_c, value_of(fmt, lo_c), hi_c, value_of(fmt, hi_c)
        if a == lo or a - lo < hi - a:
            pick = lo_code
        elif a - lo > hi - a:
            pick = hi_code
        else:
            lo_even = significand_int(fmt, lo_code) % 2 == 0
            pick = lo_code if lo_even else hi_code
        if pick is None:
            return s | (((1 << e_bits) - 1) << m_bits)
        return s | pick


def f64(v):
    return float(v)


def interesting_inputs(fmt, rounder, rng, count):
    width, e_bits, m_bits, bias, kind = fmt
    xs = [0.0, -0.0, math.inf, -math.inf, 1.0, -1.0, 2.0 ** -1074, -(2.0 ** -1074), 1e308, -1e308]
    if kind != 'mx':
        xs += [math.nan, -math.nan]
    if width <= 8:
        vals = rounder.values
        for i, v in enumerate(vals):
            xs += [f64(v), -f64(v)]
            nxt = vals[i + 1] if i + 1 < len(vals) else rounder.beyond
            mid = (v + nxt) / 2  # exact in f64 for these formats: the tie
            xs += [f64(mid), -f64(mid)]
            xs += [np.nextafter(f64(mid), math.inf), np.nextafter(f64(mid), -math.inf)]
            xs += [f64(v + (nxt - v) / 4), f64(v + 3 * (nxt - v) / 4)]
        smallest = vals[0] if vals[0] > 0 else vals[1]
        xs += [f64(smallest / 2), f64(smallest / 3), f64(smallest * 3 / 4), -f64(smallest / 2)]
        top = vals[-1]
        xs += [f64(top * 2), f64(top * 1000), -f64(top * 2)]
    else:
        # Ties and near-ties between random neighbours, across normal and subnormal binades.
        for _ in range(count):
            e = int(rng.integers(-bias - m_bits - 2, bias + 2))
            m = int(rng.integers(0, 1 << m_bits))
            base = (1 + Fraction(m, 1 << m_bits)) * Fraction(2) ** e
            step = Fraction(2) ** (max(e, 1 - bias) - m_bits)
            for v in (base, base + step / 2, base + step / 4, base + 3 * step / 4):
                fv = f64(v)
                if math.isinf(fv) or fv == 0:
                    continue
                xs += [fv, -fv, np.nextafter(fv, math.inf), np.nextafter(fv, -math.inf)]
            # A double-rounding trap: just above a tie but within f32's half ulp of it.
            tie = base + step / 2
            xs.append(f64(tie + step * Fraction(1, 1 << 20)))
        maxv = value_of(fmt, rounder.max_code)
        ulp = rounder.beyond - maxv
        for v in (maxv, maxv + ulp / 2, maxv + ulp / 2 - ulp / 1024, maxv + ulp, maxv * 4):
            xs += [f64(v), -f64(v)]
        xs += list(rng.standard_normal(count) * 10.0 ** rng.integers(-30, 30, count))
    return [float(x) for x in xs]


def uint_dtype(width):
    return np.uint8 if width <= 8 else np.uint16 if width <= 16 else np.uint32


def gen_float_formats(rng):
    for name, fmt in FORMATS.items():
        rounder = WideRounder(fmt) if fmt[0] > 8 else Rounder(fmt)
        xs = interesting_inputs(fmt, rounder, rng, 3000 if fmt[0] > 8 else 0)
        bits = [rounder.encode(x) for x in xs]
        save(f'float/{name}_inputs.npy', np.array(xs, dtype=np.float64))
        save(f'float/{name}_bits.npy', np.array(bits, dtype=uint_dtype(fmt[0])))
        if fmt[0] <= 8:
            # Exact decode of every code, including NaN codes (encoded here as NaN).
            n = 1 << fmt[0]
            dec = []
            for c in range(n):
                sgn = 0 if fmt[4] == 'e8m0' else (c >> (fmt[0] - 1)) & 1
                mag = c & (sign_bit(fmt) - 1) if fmt[4] != 'e8m0' else c
                v = value_of(fmt, mag)
                if fmt[4] == 'fnuz' and c == 0x80:
                    v = None
                if v is None:
                    if fmt[4] == 'ieee' and (mag & ((1 << fmt[2]) - 1)) == 0:
                        dec.append(-math.inf if sgn else math.inf)
                    else:
                        dec.append(math.nan)
                else:
                    dec.append(-f64(v) if sgn else f64(v))
            save(f'float/{name}_decode.npy', np.array(dec, dtype=np.float64))


def gen_numpy_casts(rng):
    xs = [0.0, -0.0, math.inf, -math.inf, math.nan, -math.nan, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 65536.0,
          2.0 ** -24, 2.0 ** -25, 2.0 ** -25 * 1.0000001, 2.0 ** -26, 2.0 ** -14, 2.0 ** -149, 2.0 ** -150,
          2.0 ** -150 * 1.0000001, 3.4028235677973366e38, 3.4028235677973362e38, 1e39, 5e-324, 1e-310]
    # f32 ties and near-ties, plus f16 ties.
    for _ in range(2000):
        f = np.float32(rng.standard_normal() * 10.0 ** rng.integers(-38, 38))
        g = np.nextafter(f, np.float32(np.inf))
        mid = (float(f) + float(g)) / 2
        xs += [mid, np.nextafter(mid, math.inf), np.nextafter(mid, -math.inf)]
        h = np.float16(rng.standard_normal() * 10.0 ** rng.integers(-7, 4))
        k = np.nextafter(h, np.float16(np.inf))
        hm = (float(h) + float(k)) / 2
        xs += [hm, np.nextafter(hm, math.inf), np.nextafter(hm, -math.inf)]
    xs += list(rng.standard_normal(3000) * 10.0 ** rng.integers(-45, 40, 3000))
    x = np.array(xs, dtype=np.float64)
    save('numpy/f64_inputs.npy', x)
    with np.errstate(over='ignore', invalid='ignore'):
        save('numpy/f64_to_f32_bits.npy', x.astype(np.float32).view(np.uint32))
        save('numpy/f64_to_f16_bits.npy', x.astype(np.float16).view(np.uint16))
    # Exact widening: every f16 bit pattern decoded by numpy.
    save('numpy/f16_all_decoded.npy', np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16)
         .astype(np.float32))


INT_RANGES = {
    # name: (bits, signed)
    'i2': (2, True), 'i4': (4, True), 'i8': (8, True), 'i16': (16, True), 'i32': (32, True), 'i64': (64, True),
    'ui2': (2, False), 'ui4': (4, False), 'ui8': (8, False), 'ui16': (16, False), 'ui32': (32, False),
    'ui64': (64, False),
}
NP_INT = {'i8': np.int8, 'i16': np.int16, 'i32': np.int32, 'i64': np.int64, 'ui8': np.uint8, 'ui16': np.uint16,
          'ui32': np.uint32, 'ui64': np.uint64}


def wrap(v, bits, signed):
    v &= (1 << bits) - 1
    if signed and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def gen_int_conversions(rng):
    src = [0, 1, -1, 2, -2, 3, 7, 8, -8, -9, 15, 16, 127, 128, -128, -129, 255, 256, 32767, 32768, -32768, 65535,
           65536, 2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 63 - 1, -2 ** 63, 2 ** 53 + 1,
           -(2 ** 53) - 1]
    src += [int(v) for v in rng.integers(-2 ** 63, 2 ** 63 - 1, 500, dtype=np.int64)]
    src_arr = np.array(src, dtype=np.int64)
    save('int/src_i64.npy', src_arr)
    for name, (bits, signed) in INT_RANGES.items():
        exp = [wrap(v, bits, signed) for v in src]
        if name in NP_INT:
            arr = src_arr.astype(NP_INT[name])
            assert [int(v) for v in arr] == exp, name  # numpy agrees with the modular definition
            save(f'int/i64_to_{name}.npy', arr)
        else:
            save(f'int/i64_to_{name}.npy', np.array(exp, dtype=np.int8 if signed else np.uint8))
    # ui64 sources: the same bit patterns read as unsigned.
    save('int/src_ui64.npy', src_arr.view(np.uint64))


def gen_float_to_int(rng):
    xs = [0.0, -0.0, 0.5, -0.5, 0.9999, -0.9999, 1.5, -1.5, 2.5, -2.5, 127.9, 128.0, -128.9, -129.0, 255.5, 256.0,
          -1.0, 65535.9, 2147483647.5, 2147483648.0, -2147483648.9, -2147483649.0, 4294967295.9, 4294967296.0,
          9.2233720368547748e18, 9.223372036854775e18, -9.2233720368547758e18, -9.3e18, 1.8446744073709550e19,
          1.8446744073709552e19, 1e300, -1e300, math.inf, -math.inf, math.nan, 5e-324, -5e-324]
    xs += list(rng.standard_normal(500) * 10.0 ** rng.integers(0, 20, 500))
    x = np.array(xs, dtype=np.float64)
    save('f2i/src_f64.npy', x)
    for name, (bits, signed) in INT_RANGES.items():
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        out = []
        for v in xs:
            if math.isnan(v):
                out.append(0)
            elif math.isinf(v):
                out.append(hi if v > 0 else lo)
            else:
                out.append(min(hi, max(lo, math.trunc(v))))
        if name in NP_INT:
            arr = np.array(out, dtype=NP_INT[name])
            with np.errstate(invalid='ignore'):
                cast = x.astype(NP_INT[name])
            for v, c, e in zip(xs, cast, out):
                if math.isfinite(v) and lo <= math.trunc(v) <= hi:
                    assert int(c) == e, (name, v, c, e)  # numpy agrees wherever C defines the cast
        else:
            arr = np.array(out, dtype=np.int8 if signed else np.uint8)
        save(f'f2i/f64_to_{name}.npy', arr)


def gen_int_to_float(rng):
    # Integers whose conversion needs rounding (above 2^24 / 2^53), including exact ties of f32/bf16/f16.
    src = [0, 1, -1, 2 ** 24 + 1, 2 ** 24 + 3, 2 ** 53 + 1, 2 ** 53 + 3, -(2 ** 53) - 1, 2 ** 63 - 1, -2 ** 63,
           2 ** 62 + 2 ** 38 + 1, 2 ** 62 + 2 ** 38, 2 ** 62 + 2 ** 39 + 2 ** 38, (1 << 63) - (1 << 39),
           (1 << 40) + (1 << 32) + 1, (1 << 40) + (1 << 32), 65504, 65519, 65520, 70000, 257, 259, 384, 385]
    src += [int(v) for v in rng.integers(-2 ** 63, 2 ** 63 - 1, 400, dtype=np.int64)]
    save('i2f/src_i64.npy', np.array(src, dtype=np.int64))
    usrc = [2 ** 64 - 1, 2 ** 63, 2 ** 63 + 2 ** 39, 2 ** 63 + 2 ** 39 + 1, 2 ** 64 - 2 ** 39, 2 ** 64 - 2 ** 10,
            2 ** 63 + 1024, 2 ** 63 + 1025, 12345]
    usrc += [int(v) for v in rng.integers(0, 2 ** 64 - 1, 400, dtype=np.uint64)]
    save('i2f/src_ui64.npy', np.array(usrc, dtype=np.uint64))
    targets = {'f64': (64, 11, 52, 1023, 'ieee'), 'f32': (32, 8, 23, 127, 'ieee'), 'f16': (16, 5, 10, 15, 'ieee'),
               'bf16': FORMATS['bf16'], 'f8E4M3FN': FORMATS['f8E4M3FN'], 'f8E5M2': FORMATS['f8E5M2']}
    for tname, fmt in targets.items():
        r = WideRounder(fmt) if fmt[0] > 8 else Rounder(fmt)
        for sname, vals in (('i64', src), ('ui64', usrc)):
            bits = [encode_int(r, fmt, v) for v in vals]
            dt = np.uint64 if fmt[0] == 64 else np.uint32 if fmt[0] == 32 else uint_dtype(fmt[0])
            save(f'i2f/{sname}_to_{tname}_bits.npy', np.array(bits, dtype=dt))
    # Cross-check: numpy's int64 -> f64/f32 casts agree with the exact rounding.
    a = np.array(src, dtype=np.int64)
    assert list(a.astype(np.float64).view(np.uint64)) == list(np.load(os.path.join(OUT, 'i2f/i64_to_f64_bits.npy')))
    assert list(a.astype(np.float32).view(np.uint32)) == list(np.load(os.path.join(OUT, 'i2f/i64_to_f32_bits.npy')))


def encode_int(rounder, fmt, v):
    """Exact RNE of integer v: the rounders take a Python float, so do the rounding on the Fraction here."""
    width, e_bits, m_bits, bias, kind = fmt
    if v == 0:
        return 0
    negative = v < 0
    a = abs(v)
    s = sign_bit(fmt) if negative else 0
    e = a.bit_length() - 1  # a in [2^e, 2^(e+1))
    if e < m_bits:
        q, rem, half = a << (m_bits - e), 0, 1
    else:
        shift = e - m_bits
        q, rem, half = a >> shift, a & ((1 << shift) - 1), (1 << shift) >> 1
        if shift == 0:
            rem, half = 0, 1
    if rem > half or (rem == half and rem != 0 and q & 1):
        q += 1
    if q == 1 << (m_bits + 1):
        q >>= 1
        e += 1
    code = ((e + bias) << m_bits) | (q & ((1 << m_bits) - 1))
    max_code = rounder.max_code
    if code > max_code:
        return overflow_code(fmt, negative, max_code)
    return s | code


# ----- .npy files in every dtype, from numpy itself -----

NPY_DTYPES = ['<f4', '<f8', '<f2', '|b1', '|i1', '<i2', '<i4', '<i8', '|u1', '<u2', '<u4', '<u8', '<c8', '<c16']


def npy_sample(dt, rng, shape):
    d = np.dtype(dt)
    n = int(np.prod(shape))
    if d.kind == 'b':
        return (rng.integers(0, 2, n) == 1).reshape(shape)
    if d.kind in 'iu':
        info = np.iinfo(d)
        v = rng.integers(info.min, info.max, n, dtype=d.type, endpoint=True)
        v.flat[0] = info.min
        v.flat[-1] = info.max
        return v.reshape(shape)
    if d.kind == 'f':
        v = (rng.standard_normal(n) * 100).astype(d)
        if n >= 4:
            v[:4] = [np.inf, -np.inf, -0.0, np.nan]
        return v.reshape(shape)
    v = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(d)
    return v.reshape(shape)


def gen_npy(rng):
    for dt in NPY_DTYPES:
        tag = dt[1:]
        arr = npy_sample(dt, rng, (2, 3, 4))
        save(f'npy/{tag}.npy', arr)
        np.save(os.path.join(OUT, f'npy/{tag}_scalar.npy'), arr.reshape(-1)[:1].reshape(()))
        np.save(os.path.join(OUT, f'npy/{tag}_empty.npy'), arr.reshape(-1)[:0].reshape((0, 5)))
        # Raw little-endian element bytes: the oracle for what a reader must produce.
        with open(os.path.join(OUT, f'npy/{tag}.raw'), 'wb') as f:
            f.write(np.ascontiguousarray(arr).tobytes())
    big = npy_sample('<i4', rng, (3, 2)).astype('>i4')
    save('npy/be_i4.npy', big)
    with open(os.path.join(OUT, 'npy/be_i4.raw'), 'wb') as f:
        f.write(big.astype('<i4').tobytes())
    a = npy_sample('<f8', rng, (2, 3))
    for version in ((1, 0), (2, 0), (3, 0)):
        with open(os.path.join(OUT, f'npy/v{version[0]}.npy'), 'wb') as f:
            np.lib.format.write_array(f, a, version=version)
    with open(os.path.join(OUT, 'npy/v_all.raw'), 'wb') as f:
        f.write(a.tobytes())
    fa = npy_sample('<i4', rng, (2, 3, 4))
    np.save(os.path.join(OUT, 'npy/fortran.npy'), np.asfortranarray(fa))
    with open(os.path.join(OUT, 'npy/fortran.raw'), 'wb') as f:
        f.write(np.ascontiguousarray(fa).tobytes())
    # The descr strings np.save records for ml_dtypes arrays ('<V2' for bfloat16, '<V1' for the one-byte kinds),
    # and the type names some writers store instead; payload bits from the exact rounders above.
    bf = WideRounder(FORMATS['bf16'])
    vals = [1.0, -2.5, 3.14159, 0.0, -0.0, 1e-40, 65504.0, math.inf]
    bf_bits = np.array([bf.encode(v) for v in vals], dtype='<u2')
    write_raw_npy('npy/bf16_V2.npy', "'<V2'", (2, 4), bf_bits.tobytes())
    write_raw_npy('npy/bf16_named.npy', "'bfloat16'", (8,), bf_bits.tobytes())
    e4 = Rounder(FORMATS['f8E4M3FN'])
    e4_bits = np.array([e4.encode(v) for v in vals[:7]], dtype='u1')
    write_raw_npy('npy/f8E4M3FN_V1.npy', "'<V1'", (7,), e4_bits.tobytes())
    write_raw_npy('npy/f8E4M3FN_named.npy', "'float8_e4m3fn'", (7,), e4_bits.tobytes())
    with open(os.path.join(OUT, 'npy/ml_dtypes_values.txt'), 'w') as f:
        f.write('# inputs of bf16_*.npy (first 8) and f8E4M3FN_*.npy (first 7), in order\n')
        f.write('\n'.join(repr(v) for v in vals) + '\n')


def write_raw_npy(rel, descr, shape, payload):
    header = "{'descr': %s, 'fortran_order': False, 'shape': %s, }" % (descr, repr(tuple(shape)))
    total = 10 + len(header) + 1
    pad = (64 - total % 64) % 64
    header = header + ' ' * pad + '\n'
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header.encode('latin1') + payload)


def main():
    rng = np.random.default_rng(20261128)
    gen_float_formats(rng)
    gen_numpy_casts(rng)
    gen_int_conversions(rng)
    gen_float_to_int(rng)
    gen_int_to_float(rng)
    gen_npy(rng)


if __name__ == '__main__':
    main()
