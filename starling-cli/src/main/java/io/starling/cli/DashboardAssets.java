package io.starling.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The files of the web dashboard: {@code GET /} is its page, {@code /dashboard/…} its script, style sheet and the
 * libraries it uses (CodeMirror for the editor, Apache ECharts for the charts and the presence graph), all read from
 * the class path, so the page needs no internet. The libraries come from their WebJars (Maven Central) and are
 * shaded into the fat jar.
 *
 * <p>These files hold no data, so they are served without the token, like {@code /healthz}: a browser cannot send
 * an {@code Authorization} header when it opens a page. The page asks for the token, keeps it for the tab, and sends
 * it with every call to the API; without the right token it gets nothing but the login form. Only the paths listed
 * here are served (no file system, no path walking). The usual browser rule ({@code Host}, {@code Origin}) is
 * checked before, as for every path.
 *
 * <p>Thread-safe: the files are read once and kept.
 */
final class DashboardAssets {
    static final String CODEMIRROR = "META-INF/resources/webjars/codemirror/5.65.16/";
    static final String ECHARTS = "META-INF/resources/webjars/echarts/5.3.1/";
    private static final String OWN = "io/starling/cli/dashboard/";

    /** URL path → class path resource. */
    static final Map<String, String> FILES = Map.ofEntries(
            Map.entry("/", OWN + "index.html"),
            Map.entry("/dashboard/app.js", OWN + "app.js"),
            Map.entry("/dashboard/app.css", OWN + "app.css"),
            Map.entry("/dashboard/favicon.svg", OWN + "favicon.svg"),
            Map.entry("/dashboard/lib/codemirror.js", CODEMIRROR + "lib/codemirror.js"),
            Map.entry("/dashboard/lib/codemirror.css", CODEMIRROR + "lib/codemirror.css"),
            Map.entry("/dashboard/lib/sql.js", CODEMIRROR + "mode/sql/sql.js"),
            Map.entry("/dashboard/lib/show-hint.js", CODEMIRROR + "addon/hint/show-hint.js"),
            Map.entry("/dashboard/lib/show-hint.css", CODEMIRROR + "addon/hint/show-hint.css"),
            Map.entry("/dashboard/lib/sql-hint.js", CODEMIRROR + "addon/hint/sql-hint.js"),
            Map.entry("/dashboard/lib/matchbrackets.js", CODEMIRROR + "addon/edit/matchbrackets.js"),
            Map.entry("/dashboard/lib/echarts.min.js", ECHARTS + "dist/echarts.min.js"));

    /**
     * What the page may do: scripts and styles of its own origin only (ECharts and CodeMirror set inline styles),
     * calls to its own API, never framed by another page.
     */
    static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline';"
                    + " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final Map<String, byte[]> cache = new ConcurrentHashMap<>();

    static boolean serves(String path) {
        return FILES.containsKey(path);
    }

    /** Answers {@code GET} of a {@link #serves served} path. */
    HttpApi.Response handle(HttpApi.Request request) {
        if (!request.method().equals("GET")) {
            return HttpApi.error(405, HttpApi.METHOD_NOT_ALLOWED, "use GET").withHeader("Allow", "GET");
        }
        String resource = FILES.get(request.path());
        if (resource == null) return HttpApi.error(404, HttpApi.NOT_FOUND, "no such resource: " + request.path());
        byte[] body = cache.computeIfAbsent(resource, DashboardAssets::read);
        return new HttpApi.Response(200, contentType(resource), body, Map.of())
                .withHeader("Cache-Control", "no-cache")
                .withHeader("X-Content-Type-Options", "nosniff")
                .withHeader("Referrer-Policy", "no-referrer")
                .withHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    }

    static String contentType(String resource) {
        if (resource.endsWith(".html")) return "text/html; charset=utf-8";
        if (resource.endsWith(".js")) return "text/javascript; charset=utf-8";
        if (resource.endsWith(".css")) return "text/css; charset=utf-8";
        if (resource.endsWith(".svg")) return "image/svg+xml";
        return "application/octet-stream";
    }

    private static byte[] read(String resource) {
        try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("the dashboard file " + resource + " is not in the jar");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dashboard file " + resource, e);
        }
    }
}
