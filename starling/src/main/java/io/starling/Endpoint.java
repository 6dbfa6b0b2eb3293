package io.starling;

import java.util.Locale;
import java.util.Objects;

/**
 * A network address a peer listens on or connects to: {@code tcp://host:port} (also written plain
 * {@code host:port}) or {@code ws://host:port/sync} (a WebSocket; the path defaults to {@code /sync}). In
 * {@link Identity#sharedKey shared-key} mode both run over TLS 1.3; the scheme names the framing, not the
 * encryption. Immutable.
 */
public record Endpoint(Scheme scheme, String host, int port, String path) {

    /** The framing a connection uses. */
    public enum Scheme {
        /** Length-prefixed frames on a TCP stream. */
        TCP,
        /** One binary WebSocket message per protocol message. */
        WS
    }

    public static final String DEFAULT_WS_PATH = "/sync";

    public Endpoint {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) throw invalid("an endpoint needs a host");
        if (port < 0 || port > 65535) throw invalid("port " + port + " is outside 0..65535");
        if (scheme == Scheme.TCP) path = "";
        else if (path == null || path.isEmpty()) path = DEFAULT_WS_PATH;
        else if (!path.startsWith("/")) throw invalid("a WebSocket path must start with '/': " + path);
    }

    public static Endpoint tcp(String host, int port) {
        return new Endpoint(Scheme.TCP, host, port, "");
    }

    public static Endpoint ws(String host, int port) {
        return new Endpoint(Scheme.WS, host, port, DEFAULT_WS_PATH);
    }

    /**
     * Parses {@code host:port}, {@code tcp://host:port} or {@code ws://host:port[/path]}; an IPv6 host is
     * written in brackets ({@code [::1]:7070}). Port 0 (listen on any free port) is allowed.
     *
     * @throws StarlingException with {@link ErrorCode#CONFIG_INVALID} saying what is wrong
     */
    public static Endpoint parse(String text) {
        Objects.requireNonNull(text, "endpoint");
        String t = text.trim();
        Scheme scheme = Scheme.TCP;
        int sep = t.indexOf("://");
        if (sep >= 0) {
            String s = t.substring(0, sep).toLowerCase(Locale.ROOT);
            scheme = switch (s) {
                case "tcp" -> Scheme.TCP;
                case "ws" -> Scheme.WS;
                default -> throw invalid("unknown endpoint scheme '" + s + "' in '" + text + "' (use tcp:// or ws://)");
            };
            t = t.substring(sep + 3);
        }
        String path = "";
        int slash = t.indexOf('/');
        if (slash >= 0) {
            if (scheme == Scheme.TCP) throw invalid("a tcp endpoint has no path: '" + text + "'");
            path = t.substring(slash);
            t = t.substring(0, slash);
        }
        String host;
        String portText;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw invalid("expected [ipv6]:port, got '" + text + "'");
            }
            host = t.substring(1, close);
            portText = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || t.indexOf(':') != colon) throw invalid("expected host:port, got '" + text + "'");
            host = t.substring(0, colon);
            portText = t.substring(colon + 1);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw invalid("the port of '" + text + "' is not a number");
        }
        return new Endpoint(scheme, host, port, path);
    }

    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return scheme == Scheme.TCP ? "tcp://" + h + ":" + port : "ws://" + h + ":" + port + path;
    }

    private static StarlingException invalid(String message) {
        return new StarlingException(ErrorCode.CONFIG_INVALID, message);
    }
}
