package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.ParseException;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.Vocabulary;

import java.util.HashMap;
import java.util.Map;

/** The shared token stream seen from Java: peeking, consuming, and errors that name the token and its position. */
final class TokenCursor {
    private static final Map<String, Integer> PUNCTUATION = new HashMap<>();
    private static final boolean[] IDENT_LIKE = new boolean[MlirLexer.VOCABULARY.getMaxTokenType() + 1];

    static {
        Vocabulary v = MlirLexer.VOCABULARY;
        for (int t = 1; t <= v.getMaxTokenType(); t++) {
            String lit = v.getLiteralName(t);
            String sym = v.getSymbolicName(t);
            if (lit == null) continue;
            String text = lit.substring(1, lit.length() - 1);
            if (sym != null && sym.startsWith("KW_")) IDENT_LIKE[t] = true;
            else PUNCTUATION.put(text, t);
        }
        IDENT_LIKE[MlirLexer.BARE_ID] = true;
    }

    final CommonTokenStream tokens;
    final String file;

    TokenCursor(CommonTokenStream tokens, String file) {
        this.tokens = tokens;
        this.file = file;
    }

    Token peek() { return tokens.LT(1); }
    Token peek(int k) { return tokens.LT(k); }
    int la(int k) { return tokens.LA(k); }
    int index() { return tokens.index(); }
    void seek(int i) { tokens.seek(i); }

    Token next() {
        Token t = tokens.LT(1);
        if (t.getType() != Token.EOF) tokens.consume();
        return t;
    }

    static boolean isIdentLike(int type) { return type > 0 && type < IDENT_LIKE.length && IDENT_LIKE[type]; }

    /** Token type of a punctuation spelling, or -1; "x" is a bare identifier and handled by the caller. */
    static int punctuation(String p) {
        Integer t = PUNCTUATION.get(p);
        return t == null ? -1 : t;
    }

    ParseException error(String message) { return errorAt(peek(), message); }

    ParseException errorAt(Token t, String message) {
        return new ParseException(message + " (found " + describe(t) + ")", file, t.getLine(), t.getCharPositionInLine() + 1);
    }

    /** An error whose message already names what it is about. */
    ParseException errorAtPlain(Token t, String message) {
        return new ParseException(message, file, t.getLine(), t.getCharPositionInLine() + 1);
    }

    static String describe(Token t) {
        if (t.getType() == Token.EOF) return "end of input";
        String s = t.getText();
        if (s.length() > 40) s = s.substring(0, 37) + "...";
        return "'" + visible(s) + "'";
    }

    /** Control characters (a NUL or BEL in a hostile file) escaped as {@code \xNN}, so the one-line message shows them. */
    static String visible(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7F) sb.append(String.format("\\x%02X", (int) c));
            else sb.append(c);
        }
        return sb.toString();
    }

    Location.FileLineCol locationOf(Token t) { return new Location.FileLineCol(file, t.getLine(), t.getCharPositionInLine() + 1); }
}
