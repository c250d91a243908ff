package io.throughline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 by hand, for what a client library will not do: answers that come before the body is sent. */
public final class RawHttp {

    private RawHttp() {
    }

    /**
     * Sends {@code head} (request line and headers, without the blank line ending them) and {@code sent} bytes of
     * a body its Content-Length says is longer, then reads the answer's head: it comes only from a server that
     * did not wait for the rest (the read gives up after 10 s).
     */
    public static String answerBeforeTheBody(int port, String head, byte[] sent) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(sent);
            out.flush();
            return readHead(socket.getInputStream());
        }
    }

    /**
     * Sends a whole request ({@code head} without its blank line, then {@code body}) and reads the answer's head:
     * for the headers a client library will not send (Host).
     */
    public static String answerHead(int port, String head, byte[] body) throws IOException {
        return answerBeforeTheBody(port, head, body);
    }

    /** The status line and headers of an answer, read up to the blank line. */
    public static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) != -1 && !head.toString().endsWith("\r\n\r\n")) {
            head.append((char) b);
        }
        return head.toString();
    }
}
