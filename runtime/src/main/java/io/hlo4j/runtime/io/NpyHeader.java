package io.hlo4j.runtime.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The dictionary of a .npy header: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 * Parsed strictly as the Python literal subset numpy writes: exactly the three keys, a string descr (structured
 * list descrs are refused), a boolean, and a tuple of non-negative integers.
 */
record NpyHeader(String descr, boolean fortranOrder, long[] shape) {

    static NpyHeader parse(String text, String file) {
        Parser p = new Parser(text, file);
        Object v = p.value();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("trailing characters after the header dictionary");
        if (!(v instanceof Map<?, ?> m)) throw p.error("header is not a dictionary");
        if (m.size() != 3 || !m.containsKey("descr") || !m.containsKey("fortran_order") || !m.containsKey("shape")) {
            throw p.error("header keys must be exactly 'descr', 'fortran_order', 'shape'; got " + m.keySet());
        }
        if (!(m.get("descr") instanceof String descr)) throw p.error("'descr' must be a string (structured dtypes are not supported), got " + m.get("descr"));
        if (!(m.get("fortran_order") instanceof Boolean fo)) throw p.error("'fortran_order' must be True or False, got " + m.get("fortran_order"));
        if (!(m.get("shape") instanceof Tuple t)) throw p.error("'shape' must be a tuple, got " + m.get("shape"));
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

        Parser(String s, String file) { this.s = s; this.file = file; }

        NpyFormatException error(String msg) {
            return new NpyFormatException(file + ": malformed .npy header at offset " + pos + ": " + msg + " in " + abbreviate(s));
        }

        private static String abbreviate(String s) {
            return s.length() > 200 ? s.substring(0, 200) + "..." : s;
        }

        void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
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
            else if (c == '-' || Character.isDigit(c)) v = integer();
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

        Object sequence(char close) {
            pos++;
            List<Object> items = new ArrayList<>();
            while (true) {
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == close) { pos++; break; }
                items.add(value());
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') { pos++; continue; }
                skipSpace();
                expect(close);
                break;
            }
            return close == ')' ? new Tuple(items) : items;
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
            int start = pos;
            if (s.charAt(pos) == '-') pos++;
            while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
            if (pos < s.length() && s.charAt(pos) == 'L') pos++; // Python 2 longs in old files
            String digits = s.substring(start, pos).replace("L", "");
            if (digits.equals("-") || digits.isEmpty()) throw error("bad integer");
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                throw error("integer out of range: " + digits);
            }
        }

        void expect(char c) {
            if (pos >= s.length() || s.charAt(pos) != c) throw error("expected '" + c + "'");
            pos++;
        }
    }
}
