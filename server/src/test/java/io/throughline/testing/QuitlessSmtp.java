package io.throughline.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An SMTP server that accepts every mail with 250 and then, at QUIT, resets the connection without answering: a
 * relay (or a network path) that goes away right after taking the mail. It counts the mails it accepted.
 */
public final class QuitlessSmtp implements AutoCloseable {

    private final ServerSocket socket;
    private final List<String> accepted = Collections.synchronizedList(new ArrayList<>());
    private final Thread acceptor;

    public QuitlessSmtp() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = Thread.ofVirtual().name("quitless-smtp").start(this::serve);
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** The mails accepted, one text each. */
    public List<String> accepted() {
        return List.copyOf(accepted);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Thread.ofVirtual().start(() -> converse(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void converse(Socket client) {
        try (client; BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                StandardCharsets.UTF_8)); OutputStream out = client.getOutputStream()) {
            say(out, "220 quitless.test ESMTP");
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                switch (verb) {
                    case "EHLO", "HELO" -> say(out, "250 quitless.test");
                    case "MAIL", "RCPT", "RSET", "NOOP" -> say(out, "250 2.0.0 OK");
                    case "DATA" -> {
                        say(out, "354 End data with <CR><LF>.<CR><LF>");
                        StringBuilder mail = new StringBuilder();
                        String data;
                        while ((data = in.readLine()) != null && !data.equals(".")) {
                            mail.append(data).append('\n');
                        }
                        accepted.add(mail.toString());
                        say(out, "250 2.0.0 Ok: queued as Q" + accepted.size());
                    }
                    case "QUIT" -> {
                        client.setSoLinger(true, 0); // gone without a word: the connection is reset
                        return;
                    }
                    default -> say(out, "502 5.5.2 Command not recognized");
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void say(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
        acceptor.interrupt();
    }
}
