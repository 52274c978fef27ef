package io.hlo4j.mlir.ir;

/** A syntax error in MLIR text: {@code file:line:col: message}, naming the offending token. */
public class ParseException extends Hlo4jException {
    public ParseException(String message, String file, int line, int column) {
        super(message, new Location.FileLineCol(file, line, column));
    }
}
