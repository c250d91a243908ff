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
        assertThat(OutboundAssembler.baseSubject("RE: [EXTERNAL] Re: Order 42")).isEqualTo("Order 42");
        assertThat(OutboundAssembler.baseSubject("RES: ENC: Pedido 7")).isEqualTo("Pedido 7");
        assertThat(OutboundAssembler.baseSubject("TR: RV: VS: YNT: Commande")).isEqualTo("Commande");
        assertThat(OutboundAssembler.baseSubject("回复：订单 42")).isEqualTo("订单 42");
        assertThat(OutboundAssembler.baseSubject("[Ticket 12] Broken lamp")).isEqualTo("[Ticket 12] Broken lamp");
        assertThat(OutboundAssembler.baseSubject("Tracking: where is it")).isEqualTo("Tracking: where is it");
    }

    /** An auto-responder loop leaves thousands of prefixes; one pattern over all of them overflowed the stack. */
    @Test
    void thousandsOfPrefixesComeOffWithoutOverflowingTheStack() {
        assertThat(OutboundAssembler.baseSubject("Re: ".repeat(20_000) + "Order 42")).isEqualTo("Order 42");
        assertThat(OutboundAssembler.baseSubject("[EXT] RE: ".repeat(5_000) + "Lamp")).isEqualTo("Lamp");
    }
}
