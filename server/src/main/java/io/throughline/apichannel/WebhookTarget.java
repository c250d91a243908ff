package io.throughline.apichannel;

import io.throughline.connector.DeliveryFailure;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * Where a webhook may connect. A webhook URL is typed by a workspace admin, and the server posts to it from inside
 * its own network: without a check, {@code http://169.254.169.254/...} would hand the machine's cloud credentials
 * to whoever can read the delivery errors. Never allowed: link-local addresses (the cloud metadata services),
 * the unspecified address, multicast and broadcast. Loopback and private networks (a shop on the same machine or
 * network) only while {@code http.webhookPrivateNetworks} allows them.
 *
 * <p>The host is resolved once, every address it resolves to is checked, and the request then connects to the
 * checked address, so a name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
 */
record WebhookTarget(URI url, InetAddress address, int port, boolean https, String requestUri) {

    /** AWS's metadata service over IPv6: inside the unique-local range, but never a webhook. */
    private static final String AWS_METADATA_V6 = "fd00:ec2:0:0:0:0:0:254";

    /**
     * Resolves and checks the webhook's host. Blocking (DNS): call off the event loop.
     *
     * @throws DeliveryFailure permanent when the address is refused, retryable when the name does not resolve
     */
    static WebhookTarget resolve(String url, boolean privateNetworks) throws DeliveryFailure {
        URI uri = URI.create(url);
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

    /** The host name the request names (Host header, TLS server name and certificate check). */
    String host() {
        return bare(url.getHost());
    }

    /** Why a webhook may not connect to this address, or null when it may. */
    static String refusal(InetAddress address, boolean privateNetworks) {
        if (address.isLinkLocalAddress() || AWS_METADATA_V6.equals(address.getHostAddress())) {
            return "a link-local address (where cloud metadata services answer); a webhook never goes there";
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress() || isBroadcast(address)) {
            return "not an address a webhook can be sent to";
        }
        if (!privateNetworks && (address.isLoopbackAddress() || address.isSiteLocalAddress()
                || isUniqueLocal(address) || isSharedOrThisNetwork(address))) {
            return "a loopback or private-network address, which http.webhookPrivateNetworks does not allow";
        }
        return null;
    }

    /** Refusals an admin can be told when saving the URL: an IP literal that no setting allows. */
    static String literalRefusal(String url) {
        String host = bare(URI.create(url).getHost());
        if (host == null || !(host.contains(":") || host.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            return null;
        }
        try {
            return refusal(InetAddress.getByName(host), true);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean isBroadcast(InetAddress address) {
        return address instanceof Inet4Address && "255.255.255.255".equals(address.getHostAddress());
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
