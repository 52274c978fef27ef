package io.hlo4j.runtime.pjrt.distributed;

/**
 * A coordinator's {@code HOST:PORT}, parsed once for the CLI's flags and variables and for {@link TcpKeyValueStore}.
 * The last colon splits host from port, so a bracketed IPv6 host keeps its colons.
 */
public record CoordinatorAddress(String host, int port) {
    /**
     * Parses {@code value}; {@code source} names where it came from in the message of the {@link IllegalArgumentException}
     * that refuses it (e.g. {@code --coordinator}, {@code HLO4J_COORDINATOR}, {@code coordinator address}).
     */
    public static CoordinatorAddress parse(String source, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1)
            throw new IllegalArgumentException(source + " '" + value + "' is not HOST:PORT (a port from 1 to 65535)");
        String p = value.substring(colon + 1);
        int port;
        try {
            port = Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + " '" + value + "' is not HOST:PORT: port '" + p + "' is not a number");
        }
        if (port < 1 || port > 65535)
            throw new IllegalArgumentException(source + " '" + value + "' is not HOST:PORT: port " + port + " is not in [1, 65535]");
        return new CoordinatorAddress(value.substring(0, colon), port);
    }

    @Override public String toString() { return host + ":" + port; }
}
