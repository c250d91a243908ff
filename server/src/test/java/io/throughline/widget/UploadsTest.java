package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UploadsTest {

    @TempDir
    Path dir;

    private Path file(byte[] content) throws IOException {
        return Files.write(Files.createTempFile(dir, "upload", ".bin"), content);
    }

    @Test
    void textIsTextInAnyEncodingButBinaryIsNot() throws IOException {
        assertThat(Uploads.plainText(file("zażółć gęślą jaźń\r\n\tkoniec\f".getBytes(Charset.forName("windows-1250")))))
                .isTrue();
        assertThat(Uploads.plainText(file("Заказ №1042".getBytes(Charset.forName("KOI8-R"))))).isTrue();
        assertThat(Uploads.plainText(file("日本語のテキスト".getBytes(StandardCharsets.UTF_8)))).isTrue();
        // UTF-16 has NUL bytes in every ASCII character: text only with its byte-order mark, and only when the
        // characters it decodes to are text.
        assertThat(Uploads.plainText(file("hello, world".getBytes(StandardCharsets.UTF_16LE)))).isFalse();
        assertThat(Uploads.plainText(file("hello, world".getBytes(StandardCharsets.UTF_16)))).isTrue();
        assertThat(Uploads.plainText(file(new byte[] {(byte) 0xFF, (byte) 0xFE, 'a', 0, 1, 0}))).isFalse();
        assertThat(Uploads.plainText(file(new byte[] {'M', 'Z', (byte) 0x90, 0, 3, 0}))).isFalse();
        assertThat(Uploads.plainText(file(new byte[] {'a', 'b', 0x07}))).isFalse();
    }

    @Test
    void aLongUtf16FileCutByTheReadLimitInsideAPairIsStillText() throws IOException {
        // 8,192 bytes read: the BOM and 4,094 characters, the last a pair's first half.
        String text = "x".repeat(4_094) + "😀" + "y".repeat(100);
        assertThat(Uploads.plainText(file(text.getBytes(StandardCharsets.UTF_16)))).isTrue();
    }

    @Test
    void imagesAreKnownByTheirFirstBytes() throws IOException {
        assertThat(Uploads.sniff(file(new byte[] {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'h', 'e', 'i', 'c'})))
                .containsExactly("image/heic", "image/heif");
        assertThat(Uploads.sniff(file(new byte[] {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'a', 'v', 'i', 'f'})))
                .containsExactly("image/avif");
        assertThat(Uploads.sniff(file(new byte[] {0, 0, 0, 0x18, 'f', 't', 'y', 'p', 'i', 's', 'o', 'm'})))
                .as("an MP4 video").isEmpty();
        assertThat(Uploads.sniff(file(new byte[] {'B', 'M', 0x3a, 0, 0, 0}))).contains("image/bmp");
        assertThat(Uploads.sniff(file(new byte[] {'I', 'I', '*', 0, 8, 0}))).containsExactly("image/tiff");
        assertThat(Uploads.sniff(file(new byte[] {'M', 'M', 0, '*', 0, 8}))).containsExactly("image/tiff");
        assertThat(Uploads.sniff(file("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".getBytes(StandardCharsets.UTF_8))))
                .isEmpty();
    }
}
