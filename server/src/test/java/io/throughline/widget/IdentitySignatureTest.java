package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdentitySignatureTest {

    private static final String SECRET = "tlwid_0123456789abcdefghijklmnopqrstuv";

    @Test
    void theSignedTextIsTheIdTheEmailOrBothOnTwoLines() {
        assertThat(IdentitySignature.signedText("42", null)).isEqualTo("42");
        assertThat(IdentitySignature.signedText(null, "ann@example.com")).isEqualTo("ann@example.com");
        assertThat(IdentitySignature.signedText("42", "ann@example.com")).isEqualTo("42\nann@example.com");
        assertThat(IdentitySignature.signedText(null, null)).isNull();
    }

    @Test
    void aKnownVectorVerifiesInEitherHexCase() {
        // HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog"): the widely published example value.
        String hmac = IdentitySignature.sign("key", "The quick brown fox jumps over the lazy dog");
        assertThat(hmac).isEqualTo("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
        assertThat(IdentitySignature.verify("key", "The quick brown fox jumps over the lazy dog", null,
                hmac.toUpperCase())).isTrue();
    }

    @Test
    void aSignatureProvesOnlyWhatWasSigned() {
        String idOnly = IdentitySignature.sign(SECRET, "42");
        assertThat(IdentitySignature.verify(SECRET, "42", null, idOnly)).isTrue();
        assertThat(IdentitySignature.verify(SECRET, "43", null, idOnly)).isFalse();
        assertThat(IdentitySignature.verify(SECRET, "42", "victim@example.com", idOnly)).isFalse();
        assertThat(IdentitySignature.verify("another-secret-of-enough-length!!", "42", null, idOnly)).isFalse();
        assertThat(IdentitySignature.verify(SECRET, "42", null, null)).isFalse();
        assertThat(IdentitySignature.verify(SECRET, "42", null, "")).isFalse();
    }

    @Test
    void aTypedSignatureSignsEachFieldInItsPlace() {
        assertThat(IdentitySignature.typedText("42", null)).isEqualTo("v2\n42\n");
        assertThat(IdentitySignature.typedText(null, "ann@example.com")).isEqualTo("v2\n\nann@example.com");
        String asId = "v2=" + IdentitySignature.sign(SECRET, IdentitySignature.typedText("ann@example.com", null));
        assertThat(IdentitySignature.verify(SECRET, "ann@example.com", null, asId, true)).isTrue();
        assertThat(IdentitySignature.verify(SECRET, null, "ann@example.com", asId, true))
                .as("an id's signature never proves the same text as an email").isFalse();
    }

    @Test
    void aWidgetTakesTheFormItsHmacVersionNamesAndNoOther() {
        String untyped = IdentitySignature.sign(SECRET, "ann@example.com");
        assertThat(IdentitySignature.verify(SECRET, "ann@example.com", null, untyped, false)).isTrue();
        assertThat(IdentitySignature.verify(SECRET, null, "ann@example.com", untyped, false))
                .as("the untyped form cannot tell them apart: why the typed one exists").isTrue();
        assertThat(IdentitySignature.verify(SECRET, "ann@example.com", null, untyped, true)).isFalse();
        assertThat(IdentitySignature.verify(SECRET, "ann@example.com", null, "v2=" + untyped, true)).isFalse();
        // A site signing untyped texts may sign one that is the typed text of another id: never taken as typed there.
        String forged = "v2=" + IdentitySignature.sign(SECRET, "v2\nvictim-id\n");
        assertThat(IdentitySignature.verify(SECRET, "victim-id", null, forged, false)).isFalse();
        assertThat(IdentitySignature.verify(SECRET, "victim-id", null, forged, true))
                .as("the same bytes are a valid typed signature, hence typed only where the widget says so").isTrue();
    }
}
