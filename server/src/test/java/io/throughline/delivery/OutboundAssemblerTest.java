package io.throughline.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OutboundAssemblerTest {

    @Test
    void replyAndForwardPrefixesDoNotStackInAnyLanguage() {
        assertThat(OutboundAssembler.baseSubject("Re: RE: Fwd: Order 42")).isEqualTo("Order 42");
        assertThat(OutboundAssembler.baseSubject("AW: Re[2]: Lieferung")).isEqualTo("Lieferung");
        assertThat(OutboundAssembler.baseSubject("Відп: Замовлення")).isEqualTo("Замовлення");
        assertThat(OutboundAssembler.baseSubject("Odp: zamówienie")).isEqualTo("zamówienie");
        assertThat(OutboundAssembler.baseSubject("Regarding your order")).isEqualTo("Regarding your order");
    }
}
