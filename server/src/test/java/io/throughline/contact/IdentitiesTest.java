package io.throughline.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.connector.IdentityKind;
import io.throughline.failure.Invalid;
import org.junit.jupiter.api.Test;

class IdentitiesTest {

    @Test
    void emailAddressesCompareWithoutCaseOrMailtoPrefix() {
        assertThat(Identities.normalize(IdentityKind.EMAIL, " Ann.Lee@Example.COM ")).isEqualTo("ann.lee@example.com");
        assertThat(Identities.normalize(IdentityKind.EMAIL, "mailto:ann@example.com")).isEqualTo("ann@example.com");
        assertThatThrownBy(() -> Identities.normalize(IdentityKind.EMAIL, "not-an-address"))
                .isInstanceOf(Invalid.class).hasMessageContaining("not an email address");
    }

    @Test
    void phoneNumbersInEveryCommonFormatBecomeOne() {
        String expected = "+380441234567";
        assertThat(Identities.normalize(IdentityKind.PHONE, "+380 (44) 123-45-67")).isEqualTo(expected);
        assertThat(Identities.normalize(IdentityKind.PHONE, "00380441234567")).isEqualTo(expected);
        assertThat(Identities.normalize(IdentityKind.PHONE, "+380.44.123.45.67")).isEqualTo(expected);
        assertThat(Identities.normalize(IdentityKind.PHONE, "044 123 45 67")).isEqualTo("0441234567");
        assertThatThrownBy(() -> Identities.normalize(IdentityKind.PHONE, "12")).isInstanceOf(Invalid.class);
    }

    @Test
    void telegramIdentitiesAreNumericUserIds() {
        assertThat(Identities.normalize(IdentityKind.TELEGRAM, "123456789")).isEqualTo("123456789");
        assertThatThrownBy(() -> Identities.normalize(IdentityKind.TELEGRAM, "@someone")).isInstanceOf(Invalid.class);
    }

    @Test
    void emptyAndOversizedValuesAreRefused() {
        assertThatThrownBy(() -> Identities.normalize(IdentityKind.EXTERNAL_ID, "  ")).isInstanceOf(Invalid.class);
        assertThatThrownBy(() -> Identities.normalize(IdentityKind.EXTERNAL_ID, "x".repeat(321)))
                .isInstanceOf(Invalid.class);
    }
}
