package io.hlo4j.runtime.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The shape tuple's integers are what numpy's {@code ast.literal_eval} of the header reads (Python 3 integer literals;
 * for versions 1 and 2, Python 2's {@code L} suffix, which numpy's {@code _filter_header} drops): every header here is
 * written by hand, the expected shape worked out from Python's grammar.
 */
class NpyShapeDigitsTest {
    @TempDir Path tmp;

    /** A version {@code version} file (3: the header in UTF-8, else Latin-1) with {@code payload} zero bytes. */
    private Path file(int version, String header, int payload) throws IOException {
        byte[] h = header.getBytes(version == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = version == 1 ? 10 : 12;
        ByteBuffer bb = ByteBuffer.allocate(prefix + h.length + payload).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) bb.putShort((short) h.length);
        else bb.putInt(h.length);
        bb.put(h);
        Path p = tmp.resolve("d" + System.nanoTime() + ".npy");
        Files.write(p, bb.array());
        return p;
    }

    private static String header(String shape) { return "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }\n"; }

    private long[] shape(int version, String shape, int bytes) throws IOException {
        return Npy.read(file(version, header(shape), bytes)).shape();
    }

    private void refused(int version, String shape, String... fragments) throws IOException {
        Path p = file(version, header(shape), 64);
        var t = assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("'shape': " + shape);
        for (String f : fragments) t.hasMessageContaining(f);
    }

    @Test void pythonLiteralsRead() throws IOException {
        assertThat(shape(1, "(2, 3)", 6)).containsExactly(2, 3);
        assertThat(shape(1, "( 2 ,\t3 , )", 6)).containsExactly(2, 3);   // spaces, a tab, a trailing comma
        assertThat(shape(1, "(6,)", 6)).containsExactly(6);
        assertThat(shape(1, "()", 1)).isEmpty();
        assertThat(shape(1, "(1_0,)", 10)).containsExactly(10);         // underscores between digits (Python 3.6)
        assertThat(shape(1, "(0x10, 0o3, 0b1)", 48)).containsExactly(16, 3, 1);
        assertThat(shape(1, "(+4, 0, 00)", 0)).containsExactly(4, 0, 0);  // a unary plus; zero may repeat its 0
        assertThat(shape(3, "(2, 3)", 6)).containsExactly(2, 3);
    }

    @Test void pythonTwoLongsOnlyInVersionsOneAndTwo() throws IOException {
        assertThat(shape(1, "(2L, 3L)", 6)).containsExactly(2, 3);
        assertThat(shape(2, "(5L,)", 5)).containsExactly(5);
        refused(3, "(5L,)", "integer '5L' is not a Python integer literal");
    }

    @Test void nonAsciiDigitsAreRefusedByName() throws IOException {
        // ARABIC-INDIC DIGIT THREE: Character.isDigit and Integer.parseInt take it as 3, Python's tokenizer does not
        refused(3, "(\u0663,)", "integer '\u0663' is not a Python integer literal", "(U+0663) is not an ASCII digit");
        refused(3, "(1\u0663,)", "integer '1\u0663'", "U+0663");
        refused(3, "(\uFF12, 3)", "U+FF12");                                 // FULLWIDTH DIGIT TWO
        refused(3, "(\u0968,)", "U+0968");                                   // DEVANAGARI DIGIT TWO
    }

    @Test void otherNonLiteralsAreRefused() throws IOException {
        refused(1, "(1__0,)", "integer '1__0'");
        refused(1, "(10_,)", "integer '10_'");
        refused(1, "(010,)", "integer '010'");    // leading zero: a SyntaxError in Python 3
        refused(1, "(0x,)", "integer '0x'");
        refused(1, "(2l,)", "integer '2l'");      // _filter_header drops only an upper-case L
        refused(1, "(3.0,)", "expected ')'");
        // a Unicode space (EM SPACE) is not whitespace to Python's tokenizer
        refused(3, "(2,\u20033)", "unexpected character");
    }

    @Test void hundredThousandDigitsAreOutOfRangeNotAStackOverflow() throws IOException {
        // a regex repetition recursed per digit here (StackOverflowError, raw out of Npy.read); numpy refuses the value too
        String digits = "1".repeat(100_000);
        Path p = file(2, header("(" + digits + ",)"), 64);
        assertThatThrownBy(() -> Npy.read(p)).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining(p.toString()).hasMessageContaining("integer out of range: " + "1".repeat(80) + "... (100000 characters)");
        Path hex = file(2, header("(0x" + "f".repeat(100_000) + ",)"), 64);
        assertThatThrownBy(() -> Npy.read(hex)).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining(hex.toString()).hasMessageContaining("integer out of range: 0xfff");
        Path bad = file(2, header("(" + digits + "_,)"), 64);
        assertThatThrownBy(() -> Npy.read(bad)).isInstanceOf(NpyFormatException.class)
                .hasMessageContaining(bad.toString()).hasMessageContaining("... (100001 characters)' is not a Python integer literal");
        // leading zeros are not significant digits: 0x, 70 zeros, 10 is 16
        assertThat(shape(2, "(0x" + "0".repeat(70) + "10,)", 16)).containsExactly(16);
    }

    @Test void aParenthesisedNumberWithoutACommaIsNotATuple() throws IOException {
        // Python's (6) is the int 6, which numpy refuses as a shape; ((6,)) is the tuple (6,)
        refused(1, "(6)", "'shape' must be a tuple, got 6", "a one-element tuple is (n,)");
        refused(1, "( 6 )", "'shape' must be a tuple, got 6");
        assertThat(shape(1, "((6,))", 6)).containsExactly(6);
        Path p = file(1, "{'descr': ('|u1'), 'fortran_order': (False), 'shape': (2,), }\n", 2);
        assertThat(Npy.read(p).shape()).containsExactly(2);
    }
}
