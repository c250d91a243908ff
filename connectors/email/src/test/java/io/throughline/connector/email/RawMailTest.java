package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A large mail spooled to a file is released when its import closes it, not when the collector finds its parts. */
class RawMailTest {

    @Test
    void closingASpooledMailClosesTheFileForEveryPartTheParserMade(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mail.eml");
        Files.writeString(file, "From: anna@example.org\r\nSubject: Photos\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
                + "Here they are.\r\n--b--\r\n", StandardCharsets.US_ASCII);
        InputStream shared = RawMail.of(file).shared();
        MimeMessage message = new MimeMessage(MailParser.PARSING, shared);
        Part part = ((Multipart) message.getContent()).getBodyPart(0);
        try (InputStream text = part.getInputStream()) {
            assertThat(new String(text.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("Here they are.");
        }

        shared.close();

        assertThatThrownBy(() -> {
            try (InputStream late = part.getInputStream()) {
                late.read();
            }
        }).isInstanceOf(IOException.class);
    }
}
