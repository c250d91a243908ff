package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.DeliveryFailure;
import jakarta.mail.Address;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.Test;

/** How SMTP answers become the outbox's decisions. */
class SmtpSenderTest {

    private static final String WHERE = "smtp.example.com:587";

    @Test
    void aFullMailboxIsTriedAgainAndAnUnknownOneIsFinal() throws Exception {
        DeliveryFailure full = SmtpSender.classify(new SMTPAddressFailedException(
                new InternetAddress("ann@example.com"), "RCPT TO", 552, "552 5.2.2 Mailbox full"), WHERE);
        assertThat(full.permanent()).isFalse();
        DeliveryFailure unknown = SmtpSender.classify(new SMTPAddressFailedException(
                new InternetAddress("gone@example.com"), "RCPT TO", 550, "550 5.1.1 User unknown"), WHERE);
        assertThat(unknown.permanent()).isTrue();
    }

    @Test
    void anAccountThatCannotSendWaitsInsteadOfFailingEveryReply() {
        DeliveryFailure limit = classify(550, "550 5.4.5 Daily user sending limit exceeded.");
        assertThat(limit.permanent()).isFalse();
        assertThat(limit.attempted()).as("no attempt spent: the account, not the reply, is at fault").isFalse();
        assertThat(limit.retryAfter()).isEqualTo(SmtpSender.ACCOUNT_RETRY);
        assertThat(limit.getMessage()).contains("5.4.5").contains("the inbox's mail account cannot send");
        assertThat(classify(554, "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException; 5.7.60 SMTP;"
                + " Client does not have permissions to send as this sender").permanent()).isFalse();
        assertThat(classify(530, "530 5.7.0 Authentication required").permanent()).isFalse();
        DeliveryFailure login = SmtpSender.classify(new AuthenticationFailedException("535 5.7.8 bad credentials"),
                WHERE);
        assertThat(login.attempted()).isFalse();
        assertThat(login.getMessage()).contains("refused the login").contains("tried again every 15 minutes");
        // About this message only: final.
        assertThat(classify(550, "550 5.7.1 Message rejected as spam").permanent()).isTrue();
    }

    private static DeliveryFailure classify(int code, String answer) {
        return SmtpSender.classify(refused(code, answer), WHERE);
    }

    private static SMTPSendFailedException refused(int code, String answer) {
        return new SMTPSendFailedException("DATA", code, answer, null, new Address[0], new Address[0],
                new Address[0]);
    }
}
