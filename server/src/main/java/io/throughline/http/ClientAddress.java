package io.throughline.http;

import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/** Where a request comes from and whether it arrived over TLS, trusting proxy headers only when configured. */
public final class ClientAddress {

    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

    private final boolean trustProxy;

    public ClientAddress(boolean trustProxy) {
        this.trustProxy = trustProxy;
    }

    public String ip(HttpServerRequest request) {
        if (trustProxy) {
            // The last line: a proxy that adds its own header line (rather than extending the client's) puts the
            // address it saw after whatever the client sent.
            List<String> lines = request.headers().getAll("X-Forwarded-For");
            String forwarded = lines.isEmpty() ? null : lines.getLast();
            if (forwarded != null && !forwarded.isBlank()) {
                // The last entry is the one the trusted proxy appended: the address it saw. Earlier entries come
                // from the client, which can write anything there (and so dodge every per-IP limit).
                String[] hops = forwarded.split(",", -1);
                String last = address(hops[hops.length - 1].strip());
                if (last != null) {
                    return last;
                }
            }
        }
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    /**
     * The address a proxy wrote, without the port some write after it ({@code 198.51.100.7:4711},
     * {@code [2001:db8::1]:443}), which changes with each connection and would give each its own limits; null when
     * the hop is no address ({@code unknown}), so the connection's own address counts instead.
     */
    static String address(String hop) {
        String address = hop;
        if (address.startsWith("[")) {
            int end = address.indexOf(']');
            address = end < 0 ? "" : address.substring(1, end);
        } else if (address.indexOf(':') > 0 && address.indexOf(':') == address.lastIndexOf(':')) {
            address = address.substring(0, address.indexOf(':'));
        }
        // Checked as text: a name (cafe.ad) is never looked up, on the event loop or anywhere.
        int zone = address.indexOf('%');
        String literal = zone < 0 ? address : address.substring(0, zone);
        return NetUtil.isValidIpV4Address(literal) || NetUtil.isValidIpV6Address(literal) ? address : null;
    }

    /**
     * The key per-address limits count under: an IPv4 address as it is, an IPv6 address as its /64. One subscriber
     * holds a whole /64 and can send from any address in it, which would give them a fresh limit per request.
     */
    public static String limitKey(String ip) {
        if (ip == null || ip.indexOf(':') < 0) {
            return ip;
        }
        int zone = ip.indexOf('%');
        String literal = zone < 0 ? ip : ip.substring(0, zone);
        if (!IPV6_LITERAL.matcher(literal).matches()) {
            return ip;
        }
        try {
            // A literal: parsed, never looked up.
            InetAddress address = InetAddress.getByName(literal);
            return address instanceof Inet6Address
                    ? HexFormat.of().formatHex(address.getAddress(), 0, 8) + "::/64" : address.getHostAddress();
        } catch (UnknownHostException e) {
            return ip;
        }
    }

    public boolean secure(HttpServerRequest request) {
        if (request.isSSL()) {
            return true;
        }
        return trustProxy && "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto"));
    }
}
