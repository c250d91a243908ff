package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OriginPatternTest {

    private static OriginPattern pattern(String text) {
        OriginPattern.Parsed parsed = OriginPattern.parse(text);
        assertThat(parsed.problem()).isNull();
        return parsed.pattern();
    }

    @Test
    void anExactOriginMatchesItselfWithDefaultPortsNormalized() {
        OriginPattern shop = pattern("https://Shop.Example.com/");
        assertThat(shop.toString()).isEqualTo("https://shop.example.com");
        assertThat(shop.matches("https://shop.example.com")).isTrue();
        assertThat(shop.matches("https://shop.example.com:443")).isTrue();
        assertThat(shop.matches("http://shop.example.com")).isFalse();
        assertThat(shop.matches("https://shop.example.com:8443")).isFalse();
        assertThat(shop.matches("https://shop.example.com.evil.test")).isFalse();
        assertThat(shop.matches("null")).isFalse();
        assertThat(pattern("http://localhost:8081").matches("http://localhost:8081")).isTrue();
    }

    @Test
    void aWildcardMatchesSubdomainsButNotTheDomainItself() {
        OriginPattern any = pattern("https://*.example.com");
        assertThat(any.matches("https://eu.example.com")).isTrue();
        assertThat(any.matches("https://a.b.example.com")).isTrue();
        assertThat(any.matches("https://example.com")).isFalse();
        assertThat(any.matches("https://badexample.com")).isFalse();
        assertThat(any.matches("https://*.example.com")).isFalse();
    }

    @Test
    void originsWithPathsOtherSchemesOrBareWildcardsAreRefused() {
        assertThat(OriginPattern.parse("https://shop.example.com/checkout").problem()).contains("without a path");
        assertThat(OriginPattern.parse("ftp://shop.example.com").problem()).contains("https://");
        assertThat(OriginPattern.parse("*").problem()).isNotNull();
        assertThat(OriginPattern.parse("https://*.com").problem()).contains("too broad");
        assertThat(OriginPattern.parse("").problem()).isNotNull();
    }
}
