package io.throughline.apichannel;

import io.throughline.connector.DeliveryFailure;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where a webhook may connect. A webhook URL is typed by a workspace admin, and the server posts to it from inside
 * its own network: without a check, {@code http://169.254.169.254/...} would hand the machine's cloud credentials
 * to whoever can read the delivery errors. Never allowed: link-local addresses (the cloud metadata services),
 * the unspecified address, multicast and broadcast, also when an IPv6 address carries them to a NAT64 or 6to4
 * gateway. Loopback and private networks (a shop on the same machine or
 * network) only while {@code http.webhookPrivateNetworks} allows them.
 *
 * <p>The host is resolved once, every address it resolves to is checked, and the request then connects to the
 * checked address, so a name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
 */
public record WebhookTarget(URI url, InetAddress address, int port, boolean https, String requestUri) {

    /** A dotted-quad IPv4 address; anything else is a name (resolved, checked and pinned). */
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    /**
     * Metadata services outside the link-local range: AWS's over IPv6 (unique-local) and Alibaba Cloud's (in the
     * shared address space). Never a webhook, whatever the setting. Compared as bytes: the text of an IPv6 address
     * carries its zone ({@code fd00:ec2::254%1}), which the connection ignores.
     */
    private static final List<byte[]> METADATA = List.of(
            HexFormat.of().parseHex("fd000ec2000000000000000000000254"), new byte[] {100, 100, 100, (byte) 200});

    /**
     * Resolves and checks the webhook's host. Blocking (DNS): call off the event loop.
     *
     * @throws DeliveryFailure permanent when the address is refused, retryable when the name does not resolve
     */
    static WebhookTarget resolve(String url, boolean privateNetworks) throws DeliveryFailure {
        URI uri = URI.create(url);
        if (uri.getPort() > 65535) {
            // Saved before ports were checked: no try reaches it. (A saved :0 still means the scheme's port.)
            throw DeliveryFailure.permanent("webhook port " + uri.getPort() + " is not between 1 and 65535");
        }
        String host = bare(uri.getHost());
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw DeliveryFailure.retryable("webhook host " + host + " not found", e);
        }
        for (InetAddress address : addresses) {
            String refused = refusal(address, privateNetworks);
            if (refused != null) {
                throw DeliveryFailure.permanent("webhook refused: " + host + " is " + address.getHostAddress()
                        + ", " + refused);
            }
        }
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return new WebhookTarget(uri, addresses[0], port, https,
                uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
    }

    /** Whether the URL names no port (its scheme's), or one a connection can use: URI takes any number. */
    static boolean portInRange(URI uri) {
        return uri.getPort() == -1 || uri.getPort() >= 1 && uri.getPort() <= 65535;
    }

    /** The host name the request names (Host header, TLS server name and certificate check). */
    String host() {
        return bare(url.getHost());
    }

    /**
     * Why a webhook may not connect to this address, or null when it may. An IPv6 address that carries an IPv4 one
     * to a translating gateway (NAT64, 6to4, the old IPv4-compatible form) is refused for the IPv4 address too: the
     * gateway would connect there.
     */
    static String refusal(InetAddress address, boolean privateNetworks) {
        String refused = refusalOf(address, privateNetworks);
        if (refused != null) {
            return refused;
        }
        Inet4Address carried = carriedIpv4(address);
        if (carried != null) {
            refused = refusalOf(carried, privateNetworks);
            if (refused != null) {
                return refused + " (" + carried.getHostAddress() + ", carried in an IPv6 address)";
            }
        }
        if (isLocalUseNat64(address)) {
            // Where the IPv4 address sits depends on the prefix length the network chose: none may be metadata.
            for (Inet4Address candidate : localUseNat64Candidates(address.getAddress())) {
                if (isLinkLocalOrMetadata(candidate)) {
                    return "a link-local address (where cloud metadata services answer); Throughline never"
                            + " connects there (" + candidate.getHostAddress() + ", carried in a local-use NAT64"
                            + " address)";
                }
            }
            if (!privateNetworks) {
                return "a loopback or private-network address (a local-use NAT64 prefix), which"
                        + " http.webhookPrivateNetworks does not allow";
            }
        }
        return null;
    }

    private static boolean isLinkLocalOrMetadata(InetAddress address) {
        byte[] bytes = address.getAddress();
        return address.isLinkLocalAddress() || METADATA.stream().anyMatch(m -> Arrays.equals(m, bytes));
    }

    private static String refusalOf(InetAddress address, boolean privateNetworks) {
        if (isLinkLocalOrMetadata(address)) {
            return "a link-local address (where cloud metadata services answer); Throughline never connects there";
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress() || isBroadcast(address)) {
            return "not an address Throughline connects to";
        }
        if (!privateNetworks && (address.isLoopbackAddress() || address.isSiteLocalAddress()
                || isUniqueLocal(address) || isSharedOrThisNetwork(address))) {
            return "a loopback or private-network address, which http.webhookPrivateNetworks does not allow";
        }
        return null;
    }

    /**
     * Why the server may not connect to a host an inbox's settings name (a mail server, a self-hosted Bot API), or
     * null: an address as it is, a name resolved now, each of its addresses looked at. A name that does not resolve
     * is left to the connection, which fails.
     */
    public static String hostRefusal(String host, boolean privateNetworks) {
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(bare(host));
        } catch (UnknownHostException | SecurityException e) {
            return null;
        }
        for (InetAddress address : addresses) {
            String refused = refusal(address, privateNetworks);
            if (refused != null) {
                return refused + " (" + address.getHostAddress() + ")";
            }
        }
        return null;
    }

    /** What an admin can be told when saving the URL: why its host, an IP literal, is refused (null otherwise). */
    static String literalRefusal(String url, boolean privateNetworks) {
        String host = bare(URI.create(url).getHost());
        if (!isLiteral(host)) {
            return null;
        }
        try {
            return refusal(InetAddress.getByName(host), privateNetworks);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * The URL names an address rather than a host: nothing is resolved, so there is nothing to pin, and the URL is
     * used as it is (an IPv6 address keeps its brackets in the Host header).
     */
    boolean literal() {
        return isLiteral(host());
    }

    private static boolean isLiteral(String host) {
        return host != null && (host.contains(":") || IPV4.matcher(host).matches());
    }

    private static boolean isBroadcast(InetAddress address) {
        return address instanceof Inet4Address && "255.255.255.255".equals(address.getHostAddress());
    }

    /**
     * The IPv4 address an IPv6 one carries to a gateway, or null: NAT64's well-known prefix 64:ff9b::/96 (RFC 6052),
     * the IPv4-translated ::ffff:0:0/96 (RFC 2765) and the IPv4-compatible ::/96 (all in the last four bytes), 6to4's
     * 2002::/16 (in the four after the prefix).
     */
    static Inet4Address carriedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return null;
        }
        byte[] bytes = address.getAddress();
        int from;
        if (startsWith(bytes, 0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0)) {
            from = 12;
        } else if (startsWith(bytes, 0x20, 0x02)) {
            from = 2;
        } else if (startsWith(bytes, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0)) {
            from = 12;
        } else if (startsWith(bytes, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                && !address.isAnyLocalAddress() && !address.isLoopbackAddress()) {
            from = 12;
        } else {
            return null;
        }
        return ipv4(bytes[from], bytes[from + 1], bytes[from + 2], bytes[from + 3]);
    }

    /**
     * The IPv4 addresses a local-use NAT64 address may carry, one per prefix length RFC 6052 allows inside a /48
     * (/48, /56, /64 and /96; byte 8 is always zero).
     */
    private static List<Inet4Address> localUseNat64Candidates(byte[] b) {
        return List.of(ipv4(b[6], b[7], b[9], b[10]), ipv4(b[7], b[9], b[10], b[11]), ipv4(b[9], b[10], b[11], b[12]),
                ipv4(b[12], b[13], b[14], b[15]));
    }

    private static Inet4Address ipv4(byte... bytes) {
        try {
            return (Inet4Address) InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }

    /** 64:ff9b:1::/48 (RFC 8215): NAT64 inside one network, its IPv4 addresses placed as that network chose. */
    private static boolean isLocalUseNat64(InetAddress address) {
        return address instanceof Inet6Address && startsWith(address.getAddress(), 0x00, 0x64, 0xff, 0x9b, 0, 1);
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** fc00::/7. */
    private static boolean isUniqueLocal(InetAddress address) {
        return address instanceof Inet6Address && (address.getAddress()[0] & 0xfe) == 0xfc;
    }

    /** 100.64.0.0/10 (carrier-grade NAT, also cloud metadata on some providers) and 0.0.0.0/8. */
    private static boolean isSharedOrThisNetwork(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            return false;
        }
        byte[] bytes = address.getAddress();
        int first = bytes[0] & 0xff;
        int second = bytes[1] & 0xff;
        return first == 0 || (first == 100 && second >= 64 && second < 128);
    }

    private static String bare(String host) {
        return host != null && host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1)
                : host;
    }
}
