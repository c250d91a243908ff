package io.throughline.apichannel;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which addresses a webhook may connect to. */
class WebhookTargetTest {

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "169.254.0.1", "fe80::1", "fd00:ec2::254", "fd00:ec2::254%1",
        "::ffff:169.254.169.254",
        "100.100.100.200", "0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255",
        // IPv6 addresses that carry an IPv4 one to a gateway: NAT64, 6to4, IPv4-compatible.
        "64:ff9b::a9fe:a9fe", "64:ff9b::169.254.169.254", "2002:a9fe:a9fe::1", "::169.254.169.254",
        "64:ff9b::6464:64c8", "2002:e000:1::", "::ffff:0:a9fe:a9fe",
        // A local-use NAT64 prefix holds it where the network's prefix length puts it: /96, /64, /48.
        "64:ff9b:1::a9fe:a9fe", "64:ff9b:1:0:a9:fea9:fe00:0", "64:ff9b:1:a9fe:a9:fe00::"})
    void neverAllowed(String address) throws UnknownHostException {
        assertThat(WebhookTarget.refusal(InetAddress.getByName(address), true)).isNotNull();
        assertThat(WebhookTarget.refusal(InetAddress.getByName(address), false)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "127.1.2.3", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.254",
        "192.168.1.10", "100.64.0.1", "100.100.100.201", "fc00::1", "fd12:3456::1", "0.1.2.3",
        "64:ff9b::7f00:1", "64:ff9b::10.1.2.3", "2002:c0a8:10a::1", "::10.0.0.1", "::ffff:0:a00:1",
        "64:ff9b:1::a00:1", "64:ff9b:1::808:808"})
    void privateOnlyWhenAllowed(String address) throws UnknownHostException {
        assertThat(WebhookTarget.refusal(InetAddress.getByName(address), true)).isNull();
        assertThat(WebhookTarget.refusal(InetAddress.getByName(address), false)).contains("private");
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1", "8.8.8.8",
        "64:ff9b::808:808", "2002:5db8:d822::1"})
    void publicAlwaysAllowed(String address) throws UnknownHostException {
        assertThat(WebhookTarget.refusal(InetAddress.getByName(address), true)).isNull();
        assertThat(WebhookTarget.refusal(InetAddress.getByName(address), false)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest/meta-data", "http://[fe80::1]:8080/hook",
        "https://0.0.0.0/hook", "http://[fd00:ec2::254%1]/latest/meta-data/"})
    void anIpLiteralNoSettingAllowsIsRefusedWhenSaved(String url) {
        assertThat(WebhookTarget.literalRefusal(url, true)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:9999/hook", "http://10.0.0.5/hook", "http://[::1]/hook"})
    void aPrivateIpLiteralIsRefusedWhenSavedOnlyWhileTheSettingRefusesIt(String url) {
        assertThat(WebhookTarget.literalRefusal(url, true)).isNull();
        assertThat(WebhookTarget.literalRefusal(url, false)).contains("http.webhookPrivateNetworks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://shop.example.com/hook", "http://localhost:8080/hook"})
    void aHostNameIsCheckedWhenSent(String url) {
        assertThat(WebhookTarget.literalRefusal(url, false)).isNull();
    }
}
