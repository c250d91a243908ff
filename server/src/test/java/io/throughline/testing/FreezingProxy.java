package io.throughline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy that can stop passing bytes without closing anything: what a network split or a host that died
 * looks like from either end (no FIN, no RST, only silence), which no local close can stand in for.
 */
public final class FreezingProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;
    private final AtomicInteger accepted = new AtomicInteger();

    private FreezingProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("freezing-proxy").start(this::accept);
    }

    public static FreezingProxy start(int targetPort) {
        try {
            return new FreezingProxy(targetPort);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The connections clients opened through the proxy so far. */
    public int accepted() {
        return accepted.get();
    }

    /** From now on no byte passes either way; the connections stay open. */
    public void freeze() {
        frozen = true;
    }

    /**
     * Ends the silence: the connections that met it are closed (what they sent meanwhile is lost, as across a
     * real split), and new ones pass again.
     */
    public void heal() {
        sockets.forEach(FreezingProxy::closeQuietly);
        sockets.clear();
        frozen = false;
    }

    /** The same database URL, through this proxy. */
    public String route(String databaseUrl) {
        return databaseUrl.replaceFirst(":" + targetPort + "/", ":" + port() + "/");
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(upstream);
                Thread.ofVirtual().start(() -> pump(client, upstream));
                Thread.ofVirtual().start(() -> pump(upstream, client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) != -1) {
                if (frozen) {
                    // Swallowed: the peer waits for an answer that never comes, as across a dead network.
                    continue;
                }
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException e) {
            // one side closed: the other follows
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(FreezingProxy::closeQuietly);
    }
}
