package io.throughline.connector.email;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimePartDataSource;
import java.io.InputStream;

/**
 * A multipart whose parsing stops once the mail it belongs to has made a given number of parts, keeping the parts
 * made until then. Jakarta Mail builds every part of a multipart when it is first read, before a caller can count
 * them: a mail of empty parts (nine bytes each) makes millions, each holding its own buffers when the mail is read
 * from a file, and exhausts the heap. One {@link Budget} is shared by all the multiparts of one mail.
 */
final class BoundedMultipart extends MimeMultipart {

    /** Thrown while parsing when the mail's budget of parts is spent; ends the parse with what it made. */
    private static final class TooManyParts extends MessagingException {
        TooManyParts(int limit) {
            super("the mail has more than " + limit + " parts");
        }
    }

    /** The parts one mail may still make. Not thread-safe: one mail is parsed on one thread. */
    static final class Budget {
        private final int limit;
        private int made;

        Budget(int limit) {
            this.limit = limit;
        }

        void take() throws TooManyParts {
            if (++made > limit) {
                throw new TooManyParts(limit);
            }
        }
    }

    private final Budget budget;
    private boolean truncated;

    BoundedMultipart(MimePart part, Budget budget) throws MessagingException {
        super(new MimePartDataSource(part));
        this.budget = budget;
    }

    /** Whether parsing stopped at the budget: the parts past it are not here. */
    synchronized boolean truncated() throws MessagingException {
        parse();
        return truncated;
    }

    @Override
    protected synchronized void parse() throws MessagingException {
        if (parsed) {
            return;
        }
        try {
            super.parse();
        } catch (TooManyParts e) {
            // The parts made so far are in place (each was added as it was made): they are the multipart now.
            truncated = true;
            parsed = true;
        }
    }

    @Override
    protected MimeBodyPart createMimeBodyPart(InputStream is) throws MessagingException {
        budget.take();
        return super.createMimeBodyPart(is);
    }

    @Override
    protected MimeBodyPart createMimeBodyPart(InternetHeaders headers, byte[] content) throws MessagingException {
        budget.take();
        return super.createMimeBodyPart(headers, content);
    }
}
