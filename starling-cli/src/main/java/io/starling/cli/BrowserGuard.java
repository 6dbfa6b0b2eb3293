package io.starling.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/*
 * Design note — why these rules.
 *
 * The API on a loopback address often runs without a token, and any web page the user opens can send requests to
 * 127.0.0.1. Three attacks follow, and one rule stops each:
 *
 *  - Cross-site requests. A page on http://evil.example POSTs to http://127.0.0.1:8080/api/v1/execute. Browsers
 *    send such a request without asking when its content type is text/plain, a form or multipart; the page cannot
 *    read the answer, but a DELETE runs all the same. Browsers name the page's origin in Origin (on every POST, and
 *    on every cross-origin fetch), and modern ones say where a request comes from in Sec-Fetch-Site (on every
 *    request, including <img> and <script> loads, which send no Origin). So: a foreign Origin is refused, a
 *    Sec-Fetch-Site other than same-origin or none (typed into the address bar) is refused, and a POST body must be
 *    application/json, which no page can send cross-origin without the browser's CORS preflight, which this API
 *    never grants (older browsers that send no Origin on a POST still cannot send JSON).
 *  - DNS rebinding. The page's own name (evil.example) is made to resolve to 127.0.0.1: the browser then sees a
 *    same-origin request and lets the page read the answers. The request still carries Host: evil.example. So the
 *    Host must be a name this API answers to: an IP address literal (rebinding needs a name), localhost, or a name
 *    configured for a reverse proxy. The port in Host is not checked: a rebinding attack needs a name, not a port,
 *    and port forwarding (ssh -L, docker -p) legitimately changes it.
 *  - Event streams (GET /api/v1/observe) to a foreign page: the same Origin and Sec-Fetch-Site rules apply to every
 *    path, GETs included.
 *
 * Clients that are not browsers (curl, scripts, the CLI's own HttpApiClient) send no Origin and no Sec-Fetch-Site,
 * and Host is whatever address they dialled: they pass. A page served by the API itself (same origin) passes.
 */

/**
 * The rules that keep web pages from using the HTTP API (docs/HTTP-API.md, "Browsers and web pages"): checks
 * {@code Host}, {@code Origin} and {@code Sec-Fetch-Site} of every request. Content types are checked by
 * {@link HttpApi} where a body is read.
 *
 * <p>Immutable, thread-safe.
 */
final class BrowserGuard {
    private final Set<String> allowedHosts;
    private final Set<String> allowedOrigins;

    /**
     * @param allowedHosts host names (without port) accepted in {@code Host} besides IP literals and
     *     {@code localhost}: the public names of a reverse proxy that passes {@code Host} through
     * @param allowedOrigins origins ({@code scheme://host[:port]}) accepted in {@code Origin} besides the request's
     *     own: for a reverse proxy that rewrites {@code Host}, so that its pages' origin no longer matches it
     */
    BrowserGuard(Set<String> allowedHosts, Set<String> allowedOrigins) {
        this.allowedHosts = new TreeSet<>();
        for (String h : allowedHosts) this.allowedHosts.add(normalizeHostName(h));
        this.allowedOrigins = new TreeSet<>();
        for (String o : allowedOrigins) this.allowedOrigins.add(normalizeOrigin(o));
    }

    /** No configured names or origins: IP literals and localhost, same-origin pages only. */
    static BrowserGuard strict() {
        return new BrowserGuard(Set.of(), Set.of());
    }

    /** Why a request is refused. */
    enum Refusal {
        /** 400: no Host header (HTTP/1.1 requires one). */
        MISSING_HOST,
        /** 403: a Host this API does not answer to (DNS rebinding). */
        FOREIGN_HOST,
        /** 403: a page of another origin sent it (Origin or Sec-Fetch-Site). */
        FOREIGN_ORIGIN
    }

    /** A refusal with what to tell the client. */
    record Verdict(Refusal refusal, String message) {}

    /**
     * Checks one request's headers.
     *
     * @param host the {@code Host} header, or null
     * @param origin the {@code Origin} header, or null
     * @param fetchSite the {@code Sec-Fetch-Site} header, or null
     * @return null when the request may proceed
     */
    @Nullable
    Verdict check(@Nullable String host, @Nullable String origin, @Nullable String fetchSite) {
        if (host == null || host.isBlank()) {
            return new Verdict(Refusal.MISSING_HOST, "the request has no Host header");
        }
        HostPort target = HostPort.parse(host.strip());
        if (target == null || !answersTo(target.host())) {
            return new Verdict(
                    Refusal.FOREIGN_HOST,
                    "this API does not answer to Host '" + shorten(host) + "': use an IP address or localhost"
                            + " (a reverse proxy's public name can be allowed with --http-allow-host NAME)");
        }
        if (origin != null) {
            String normalized = normalizeOriginOrNull(origin);
            if (normalized == null || !(sameOrigin(normalized, target) || allowedOrigins.contains(normalized))) {
                return new Verdict(
                        Refusal.FOREIGN_ORIGIN,
                        "requests from web pages of another origin are refused (Origin '" + shorten(origin)
                                + "'); only pages served from this API's own address may use it"
                                + " (--http-allow-origin ORIGIN for a reverse proxy that rewrites Host)");
            }
            // an origin judged the same (or allowed) vouches for the request, whatever Sec-Fetch-Site says
            return null;
        }
        if (fetchSite != null) {
            String site = fetchSite.strip().toLowerCase(Locale.ROOT);
            if (!site.equals("same-origin") && !site.equals("none")) {
                return new Verdict(
                        Refusal.FOREIGN_ORIGIN,
                        "requests from web pages of another origin are refused (Sec-Fetch-Site: " + shorten(site)
                                + ")");
            }
        }
        return null;
    }

    private boolean answersTo(String host) {
        return isIpLiteral(host) || host.equals("localhost") || allowedHosts.contains(host);
    }

    /** Whether an origin ({@code scheme://host[:port]}, normalized) is the request's own. */
    private static boolean sameOrigin(String origin, HostPort target) {
        URI uri = URI.create(origin);
        int port = uri.getPort() >= 0 ? uri.getPort() : defaultPort(uri.getScheme());
        int targetPort = target.port() >= 0 ? target.port() : defaultPort(uri.getScheme());
        return uri.getHost() != null && normalizeHostName(uri.getHost()).equals(target.host()) && port == targetPort;
    }

    private static int defaultPort(String scheme) {
        return "https".equals(scheme) ? 443 : 80;
    }

    static boolean isIpLiteral(String host) {
        if (host.startsWith("[") && host.endsWith("]")) return host.length() > 2 && host.indexOf(':') > 0;
        String[] parts = host.split("\\.", -1);
        if (parts.length != 4) return false;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) return false;
            if (Integer.parseInt(p) > 255) return false;
        }
        return true;
    }

    /** Lower case, without a trailing dot ({@code localhost.} is {@code localhost}). */
    private static String normalizeHostName(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    /**
     * Checks a configured origin.
     *
     * @throws IllegalArgumentException for anything but {@code http(s)://host[:port]}
     */
    static String normalizeOrigin(String origin) {
        String n = normalizeOriginOrNull(origin);
        if (n == null) {
            throw new IllegalArgumentException(
                    "an origin is scheme://host[:port] with scheme http or https, got '" + origin + "'");
        }
        return n;
    }

    /** {@code scheme://host[:port]} in lower case, or null if {@code origin} is not of that form ("null" is not). */
    private static @Nullable String normalizeOriginOrNull(String origin) {
        URI uri;
        try {
            uri = new URI(origin.strip());
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!"http".equals(scheme) && !"https".equals(scheme)) return null;
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null) return null;
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty()) return null;
        return scheme + "://" + normalizeHostName(uri.getHost()) + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    }

    /** A Host header, parsed: the host (lower case; IPv6 in brackets) and the port, or -1. */
    record HostPort(String host, int port) {
        static @Nullable HostPort parse(String header) {
            String host;
            String port = null;
            if (header.startsWith("[")) {
                int end = header.indexOf(']');
                if (end < 0) return null;
                host = header.substring(0, end + 1);
                String rest = header.substring(end + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) return null;
                    port = rest.substring(1);
                }
            } else {
                int colon = header.indexOf(':');
                if (colon != header.lastIndexOf(':')) return null;
                host = colon < 0 ? header : header.substring(0, colon);
                if (colon >= 0) port = header.substring(colon + 1);
            }
            if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@')) return null;
            int p = -1;
            if (port != null) {
                if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return null;
                }
                p = Integer.parseInt(port);
                if (p > 65535) return null;
            }
            return new HostPort(normalizeHostName(host), p);
        }
    }

    private static String shorten(String s) {
        String t = s.length() > 100 ? s.substring(0, 100) + "…" : s;
        StringBuilder sb = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            sb.append(c < ' ' || c == 0x7f ? '?' : c);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "BrowserGuard{hosts=" + allowedHosts + ", origins=" + allowedOrigins + "}";
    }
}
