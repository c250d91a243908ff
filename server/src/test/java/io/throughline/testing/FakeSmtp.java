package io.throughline.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real SMTP server (SubEthaSMTP) that answers the way a recipient's server can: refuse a recipient with a 5xx,
 * or defer a message with a 4xx a number of times before accepting it, or take a message and hold its answer. It
 * keeps what it accepted.
 */
public final class FakeSmtp implements AutoCloseable {

    private final SMTPServer server;
    private final List<byte[]> accepted = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger deferrals;
    private volatile String rejectRecipient;
    private volatile CountDownLatch answer;

    private FakeSmtp(String rejectRecipient, int deferrals) {
        this.rejectRecipient = rejectRecipient;
        this.deferrals = new AtomicInteger(deferrals);
        this.server = SMTPServer.port(0).bindAddress(InetAddress.getLoopbackAddress())
                .messageHandlerFactory(context -> new Handler()).build();
        server.start();
    }

    /** Refuses this recipient with {@code 550 5.1.1} (null: refuses nobody). */
    public static FakeSmtp rejecting(String recipient) {
        return new FakeSmtp(recipient, 0);
    }

    /** Refuses nobody from now on: the address {@link #rejecting} refused takes mail again. */
    public void acceptEveryone() {
        rejectRecipient = null;
    }

    /** Answers {@code 451 4.3.0} to the first {@code times} messages, then accepts. */
    public static FakeSmtp deferring(int times) {
        return new FakeSmtp(null, times);
    }

    /**
     * Takes each message (it shows in {@link #accepted()} at once) but answers 250 only at {@link #release()}: a
     * relay slow to confirm, during which a bounce of the message can already be on its way back.
     */
    public static FakeSmtp holding() {
        FakeSmtp smtp = new FakeSmtp(null, 0);
        smtp.answer = new CountDownLatch(1);
        return smtp;
    }

    /** Holds the answers to the messages taken from now on, as {@link #holding()} does, until {@link #release()}. */
    public void hold() {
        answer = new CountDownLatch(1);
    }

    /** Answers the messages {@link #holding()} holds, and every later one at once. */
    public void release() {
        CountDownLatch held = answer;
        if (held != null) {
            held.countDown();
        }
    }

    public int port() {
        return server.getPortAllocated();
    }

    public List<byte[]> accepted() {
        return List.copyOf(accepted);
    }

    @Override
    public void close() {
        release();
        server.stop();
    }

    private final class Handler implements MessageHandler {
        @Override
        public void from(String from) {
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            if (recipient.equalsIgnoreCase(rejectRecipient)) {
                throw new RejectException(550, "5.1.1 <" + recipient + ">: Recipient address rejected: User unknown"
                        + " in virtual mailbox table");
            }
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            byte[] bytes = data.readAllBytes();
            if (deferrals.getAndDecrement() > 0) {
                throw new RejectException(451, "4.3.0 Temporary lookup failure, try again later");
            }
            accepted.add(bytes);
            CountDownLatch held = answer;
            if (held != null) {
                try {
                    held.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return null;
        }

        @Override
        public void done() {
        }
    }
}
