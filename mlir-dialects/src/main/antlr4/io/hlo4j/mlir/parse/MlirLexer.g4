/*
 * Tokens of MLIR's textual format (the subset hlo4j reads: builtin, func, stablehlo, chlo, sdy, check).
 * Notable choices:
 *  - a dimension of a shaped type with its 'x' is one token (DIM: "4x", "?x"), so "tensor<2x3xf32>" lexes as
 *    DIM DIM BARE_ID. Inside a shape, "0x..." is a zero dimension, not a hex number (tensor<0xf32>).
 *  - a quoted string is one token whatever its length: dense<"0x..."> blobs make up most of the bytes.
 *  - a control character other than tab, CR and LF outside comments and strings is a CONTROL_CHAR token, which
 *    the parser refuses at its line and column (a NUL in a damaged file must not end a token silently).
 *  - every other character is an ERROR_CHAR token so the lexer never fails; the parser names it.
 */
lexer grammar MlirLexer;

@members {
    private Token last1;
    private Token last2;

    @Override
    public Token nextToken() {
        Token t = super.nextToken();
        last2 = last1;
        last1 = t;
        return t;
    }

    /** The text being lexed, for the string fast path; null when it holds characters outside the BMP. */
    private String source;

    /** Lets string tokens be scanned with a plain loop over {@code text} (same indices as the char stream). */
    public void setSource(String text) {
        // Same length in code points as in chars: no surrogate pairs, so stream and string indices agree.
        if (_input.size() == text.length()) source = text;
    }

    /**
     * Called after an opening quote: consumes the rest of the string literal with a tight loop (hex blobs are
     * megabytes long). An unterminated string becomes an ERROR_CHAR token for the parser to report.
     */
    private void scanString() {
        int start = _input.index();
        int i = start;
        boolean closed = false;
        if (source != null) {
            int n = source.length();
            // Fast path: the closing quote with no escape or newline before it (String.indexOf is vectorised).
            int quote = source.indexOf('"', i);
            if (quote >= 0 && source.indexOf('\\', i, quote) < 0 && source.indexOf('\n', i, quote) < 0) {
                i = quote + 1;
                closed = true;
                n = 0;
            }
            while (i < n) {
                char c = source.charAt(i);
                if (c == '"') { i++; closed = true; break; }
                if (c == '\\') { if (i + 1 < n && source.charAt(i + 1) != '\n') { i += 2; continue; } i++; break; }
                if (c == '\n') break;
                i++;
            }
            _input.seek(i);
        } else {
            while (true) {
                int c = _input.LA(1);
                if (c == CharStream.EOF || c == '\n') break;
                _input.consume();
                i++;
                if (c == '"') { closed = true; break; }
                if (c == '\\') {
                    int d = _input.LA(1);
                    if (d == CharStream.EOF || d == '\n') break;
                    _input.consume();
                    i++;
                }
            }
        }
        getInterpreter().setCharPositionInLine(getInterpreter().getCharPositionInLine() + (i - start));
        if (!closed) setType(ERROR_CHAR);
    }

    /** True right after "tensor<", "memref<", "vector<" or a dimension: a "0x" there is a zero dimension. */
    private boolean inShape() {
        if (last1 == null) return false;
        if (last1.getType() == DIM) return true;
        if (last1.getType() != LANGLE || last2 == null) return false;
        int t = last2.getType();
        return t == KW_TENSOR || t == KW_MEMREF || t == KW_VECTOR;
    }
}

WS : [ \t\r\n]+ -> skip ;
LINE_COMMENT : '//' ~[\n]* -> skip ;

FILE_METADATA_BEGIN : '{-#' ;
FILE_METADATA_END : '#-}' ;

ARROW : '->' ;
COLON_COLON : '::' ;
ELLIPSIS : '...' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACKET : '[' ;
RBRACKET : ']' ;
LBRACE : '{' ;
RBRACE : '}' ;
LANGLE : '<' ;
RANGLE : '>' ;
EQUAL : '=' ;
COMMA : ',' ;
COLON : ':' ;
QUESTION : '?' ;
STAR : '*' ;
PLUS : '+' ;
MINUS : '-' ;
VBAR : '|' ;

KW_TENSOR : 'tensor' ;
KW_COMPLEX : 'complex' ;
KW_TUPLE : 'tuple' ;
KW_MEMREF : 'memref' ;
KW_VECTOR : 'vector' ;
KW_DENSE : 'dense' ;
KW_DENSE_RESOURCE : 'dense_resource' ;
KW_ARRAY : 'array' ;
KW_LOC : 'loc' ;
KW_TRUE : 'true' ;
KW_FALSE : 'false' ;
KW_UNIT : 'unit' ;
KW_UNKNOWN : 'unknown' ;
KW_CALLSITE : 'callsite' ;
KW_FUSED : 'fused' ;
KW_AT : 'at' ;
KW_TO : 'to' ;

QUANT_UNIFORM : '!quant.uniform' ;

DIM : [0-9]+ 'x' | '?x' ;
HEX : '0x' [0-9a-fA-F]+ {!inShape()}? ;
FLOAT : [0-9]+ '.' [0-9]* ([eE] [+-]? [0-9]+)? ;
INTEGER : [0-9]+ ;

BARE_ID : [a-zA-Z_] [a-zA-Z0-9_$.]* ;
PERCENT_ID : '%' SUFFIX_ID ('#' [0-9]+)? ;
CARET_ID : '^' SUFFIX_ID ;
AT_ID : '@' (SUFFIX_ID | STRING_BODY) ;
HASH_ID : '#' SUFFIX_ID ;
BANG_ID : '!' SUFFIX_ID ;

STRING : '"' { scanString(); } ;

CONTROL_CHAR : [\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F] ;

ERROR_CHAR : . ;

fragment SUFFIX_ID : [0-9]+ | [a-zA-Z$._\-] [a-zA-Z0-9$._\-]* ;
fragment STRING_BODY : '"' (~["\\\n] | '\\' ~[\n])* '"' ;
