package io.hlo4j.runtime.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dictionary of a .npy header: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 * Parsed strictly as the Python literal subset numpy writes: exactly the three keys, a string descr (structured
 * list descrs are refused), a boolean, and a tuple of non-negative integers. numpy reads the header with
 * {@code ast.literal_eval}, so an integer is a Python 3 literal: ASCII digits only (no other Unicode digits, which
 * Python's {@code int()} would take but its tokenizer does not), underscores only between digits, no leading zeros
 * but in zero itself, optionally {@code 0x}/{@code 0o}/{@code 0b} digits, one sign; and for versions 1 and 2 only,
 * which Python 2 may have written, numpy's {@code _filter_header} drops an {@code L} after a number. Whitespace is
 * Python's: space, tab, form feed and line ends.
 */
record NpyHeader(String descr, boolean fortranOrder, long[] shape) {

    /**
     * Whether {@code t} is a Python 3 integer literal without sign (the tokenizer's forms: {@code [1-9](_?[0-9])*},
     * {@code 0(_?0)*}, {@code 0[xX](_?[0-9a-fA-F])+}, {@code 0[oO](_?[0-7])+}, {@code 0[bB](_?[01])+}). Scanned by hand,
     * in constant stack: a regex repetition of a group recurses per character and overflows the stack on a long token.
     */
    static boolean isPythonInt(String t) {
        if (t.isEmpty()) return false;
        if (t.length() > 2 && t.charAt(0) == '0' && Character.isLetter(t.charAt(1))) {
            String digits = switch (t.charAt(1)) {
                case 'x', 'X' -> "0123456789abcdefABCDEF";
                case 'o', 'O' -> "01234567";
                case 'b', 'B' -> "01";
                default -> null;
            };
            return digits != null && underscoredDigits(t, 2, digits, true);
        }
        if (t.charAt(0) == '0') return underscoredDigits(t, 0, "0", false);
        return t.charAt(0) >= '1' && t.charAt(0) <= '9' && underscoredDigits(t, 0, "0123456789", false);
    }

    /** {@code t} from {@code from} on is digits of {@code digits}, a single underscore allowed before each (after the first unless {@code leadingUnderscore}). */
    private static boolean underscoredDigits(String t, int from, String digits, boolean leadingUnderscore) {
        boolean underscore = false;
        for (int i = from; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '_') {
                if (underscore || (i == from && !leadingUnderscore)) return false;
                underscore = true;
            } else if (digits.indexOf(c) >= 0) {
                underscore = false;
            } else {
                return false;
            }
        }
        return !underscore && t.length() > from;
    }

    /** Whitespace between tokens as Python's tokenizer has it (no Unicode spaces). */
    static boolean isPythonSpace(char c) { return c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r'; }

    /** {@code text} with Python whitespace stripped from both ends (numpy pads the header with spaces and a newline). */
    static String stripPython(String text) {
        int a = 0, b = text.length();
        while (a < b && isPythonSpace(text.charAt(a))) a++;
        while (b > a && isPythonSpace(text.charAt(b - 1))) b--;
        return text.substring(a, b);
    }

    /** The header of a version {@code major} file ({@code L} suffixes are dropped for 1 and 2, as numpy does). */
    static NpyHeader parse(String text, String file, int major) {
        Parser p = new Parser(text, file, major <= 2);
        Object v = p.value();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("trailing characters after the header dictionary");
        if (!(v instanceof Map<?, ?> m)) throw p.error("header is not a dictionary");
        if (m.size() != 3 || !m.containsKey("descr") || !m.containsKey("fortran_order") || !m.containsKey("shape")) {
            throw p.error("header keys must be exactly 'descr', 'fortran_order', 'shape'; got " + m.keySet());
        }
        if (!(m.get("descr") instanceof String descr)) throw p.error("'descr' must be a string (structured dtypes are not supported), got " + m.get("descr"));
        if (!(m.get("fortran_order") instanceof Boolean fo)) throw p.error("'fortran_order' must be True or False, got " + m.get("fortran_order"));
        if (!(m.get("shape") instanceof Tuple t)) throw p.error("'shape' must be a tuple, got " + m.get("shape")
                + (m.get("shape") instanceof Long ? " (Python reads a parenthesised number without a comma as the number: a one-element tuple is (n,))" : ""));
        long[] shape = new long[t.items.size()];
        for (int k = 0; k < shape.length; k++) {
            if (!(t.items.get(k) instanceof Long d) || d < 0) throw p.error("'shape' entries must be non-negative integers, got " + t.items.get(k));
            shape[k] = d;
        }
        return new NpyHeader(descr, fo, shape);
    }

    private record Tuple(List<Object> items) {}

    private static final class Parser {
        final String s;
        final String file;
        int pos;
        int depth;

        final boolean pythonTwoLongs;

        Parser(String s, String file, boolean pythonTwoLongs) { this.s = s; this.file = file; this.pythonTwoLongs = pythonTwoLongs; }

        NpyFormatException error(String msg) {
            return new NpyFormatException(file + ": malformed .npy header at offset " + pos + ": " + msg + " in " + abbreviate(s));
        }

        private static String abbreviate(String s) {
            return s.length() > 200 ? s.substring(0, 200) + "..." : s;
        }

        /** A token as errors name it: its first 80 characters and its length when longer. */
        private static String shown(String token) {
            return token.length() > 80 ? token.substring(0, 80) + "... (" + token.length() + " characters)" : token;
        }

        void skipSpace() {
            while (pos < s.length() && isPythonSpace(s.charAt(pos))) pos++;
        }

        Object value() {
            skipSpace();
            if (pos >= s.length()) throw error("unexpected end");
            if (++depth > 8) throw error("nesting too deep");
            char c = s.charAt(pos);
            Object v;
            if (c == '{') v = dict();
            else if (c == '(' || c == '[') v = sequence(c == '(' ? ')' : ']');
            else if (c == '\'' || c == '"') v = string();
            else if (c == '-' || c == '+' || Character.isDigit(c)) v = integer();
            else if (s.startsWith("True", pos)) { pos += 4; v = Boolean.TRUE; }
            else if (s.startsWith("False", pos)) { pos += 5; v = Boolean.FALSE; }
            else throw error("unexpected character '" + c + "'");
            depth--;
            return v;
        }

        Map<String, Object> dict() {
            pos++;
            Map<String, Object> m = new LinkedHashMap<>();
            while (true) {
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == '}') { pos++; return m; }
                Object key = value();
                if (!(key instanceof String k)) throw error("dictionary key is not a string");
                skipSpace();
                expect(':');
                Object val = value();
                if (m.put(k, val) != null) throw error("duplicate key '" + k + "'");
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') { pos++; continue; }
                skipSpace();
                expect('}');
                return m;
            }
        }

        /** A list, or a tuple; as in Python, {@code (x)} without a comma is {@code x} itself, not a tuple. */
        Object sequence(char close) {
            pos++;
            List<Object> items = new ArrayList<>();
            boolean comma = false;
            while (true) {
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == close) { pos++; break; }
                items.add(value());
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') { pos++; comma = true; continue; }
                skipSpace();
                expect(close);
                break;
            }
            if (close == ']') return items;
            return items.size() == 1 && !comma ? items.get(0) : new Tuple(items);
        }

        String string() {
            char q = s.charAt(pos++);
            int start = pos;
            while (pos < s.length() && s.charAt(pos) != q) {
                if (s.charAt(pos) == '\\') throw error("escapes in strings are not supported");
                pos++;
            }
            if (pos >= s.length()) throw error("unterminated string");
            return s.substring(start, pos++);
        }

        Long integer() {
            boolean negative = s.charAt(pos) == '-';
            if (s.charAt(pos) == '-' || s.charAt(pos) == '+') {
                pos++;
                skipSpace();
            }
            int start = pos;
            // the whole token, letters and any Unicode digits included, so that it is judged (and named) as one
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
            String token = s.substring(start, pos);
            String literal = pythonTwoLongs && token.endsWith("L") ? token.substring(0, token.length() - 1) : token;
            if (!isPythonInt(literal)) {
                String bad = token.codePoints().filter(cp -> Character.isDigit(cp) && (cp < '0' || cp > '9')).findFirst()
                        .stream().mapToObj(cp -> "; '" + Character.toString(cp) + "' (U+" + String.format("%04X", cp) + ") is not an ASCII digit")
                        .findFirst().orElse("");
                throw error("integer '" + shown(token) + "' is not a Python integer literal, which numpy's ast.literal_eval reads"
                        + " (ASCII digits, underscores between them, 0x/0o/0b prefixes" + (pythonTwoLongs ? ", a Python 2 L suffix" : "") + ")" + bad);
            }
            String digits = literal.replace("_", "");
            int radix = 10;
            if (digits.length() > 1 && Character.isLetter(digits.charAt(1))) {
                radix = switch (Character.toLowerCase(digits.charAt(1))) { case 'x' -> 16; case 'o' -> 8; default -> 2; };
                digits = digits.substring(2);
            }
            try {
                // unsigned digits only (checked above); parseLong stops at the first digit past 2^63 - 1, so a huge token costs little
                long v = Long.parseLong(digits, radix);
                return negative ? -v : v;
            } catch (NumberFormatException e) {
                throw error("integer out of range: " + (negative ? "-" : "") + shown(token));
            }
        }

        void expect(char c) {
            if (pos >= s.length() || s.charAt(pos) != c) throw error("expected '" + c + "'");
            pos++;
        }
    }
}
