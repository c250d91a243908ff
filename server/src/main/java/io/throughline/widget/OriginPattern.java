package io.throughline.widget;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;

/**
 * An allowed origin of a widget inbox: {@code https://shop.example.com}, {@code http://localhost:8081}, or a
 * subdomain wildcard {@code https://*.example.com} (which matches {@code a.example.com} but not
 * {@code example.com}). Ports are compared after defaulting (80 for http, 443 for https).
 *
 * @param scheme http or https
 * @param host the host, lower case; a leading {@code *.} is the wildcard
 * @param port the explicit port, or -1 for the scheme's default
 */
public record OriginPattern(String scheme, String host, int port) {

    /** Parses a configured origin, or explains what is wrong with it. */
    public static Parsed parse(String text) {
        if (text == null || text.isBlank()) {
            return Parsed.problem("must not be empty");
        }
        String value = text.strip().toLowerCase(Locale.ROOT);
        if (value.endsWith("/")) {
            value = value.substring(0, value.length() - 1);
        }
        boolean wildcard = value.matches("https?://\\*\\..+");
        URI uri;
        try {
            uri = URI.create(wildcard ? value.replaceFirst("\\*\\.", "wildcard-subdomain.") : value);
        } catch (IllegalArgumentException e) {
            return Parsed.problem("'" + text + "' is not an origin such as https://shop.example.com");
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            return Parsed.problem("'" + text + "' must start with https:// or http://");
        }
        if (uri.getHost() == null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
                || uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
            return Parsed.problem("'" + text + "' must be scheme://host[:port] only, without a path");
        }
        String host = wildcard ? "*." + uri.getHost().substring("wildcard-subdomain.".length()) : uri.getHost();
        if (wildcard && !host.substring(2).contains(".")) {
            return Parsed.problem("'" + text + "' is too broad: a wildcard needs at least a domain such as"
                    + " *.example.com");
        }
        return new Parsed(new OriginPattern(uri.getScheme(), host, normalPort(uri.getScheme(), uri.getPort())), null);
    }

    /** A parse result: the pattern, or the problem. */
    public record Parsed(OriginPattern pattern, String problem) {
        static Parsed problem(String problem) {
            return new Parsed(null, problem);
        }
    }

    /** Whether a browser's {@code Origin} header value is allowed by this pattern. */
    public boolean matches(String origin) {
        return origin(origin).map(o -> o.scheme.equals(scheme) && o.port == port && hostMatches(o.host))
                .orElse(false);
    }

    private boolean hostMatches(String candidate) {
        if (host.startsWith("*.")) {
            return candidate.endsWith(host.substring(1)) && candidate.length() > host.length() - 1;
        }
        return candidate.equals(host);
    }

    /** The exact origin a browser sends, or empty when the text is not one (such as {@code null}). */
    public static Optional<OriginPattern> origin(String text) {
        if (text == null || text.isBlank() || text.contains("*")) {
            return Optional.empty();
        }
        try {
            URI uri = URI.create(text.strip().toLowerCase(Locale.ROOT));
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                return Optional.empty();
            }
            return Optional.of(new OriginPattern(uri.getScheme(), uri.getHost(),
                    normalPort(uri.getScheme(), uri.getPort())));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** As configured and as CSP {@code frame-ancestors} takes it. */
    @Override
    public String toString() {
        return scheme + "://" + host + (port < 0 ? "" : ":" + port);
    }

    private static int normalPort(String scheme, int port) {
        if (("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443)) {
            return -1;
        }
        return port;
    }
}
