package io.throughline.connector.email;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimePartDataSource;
import java.io.InputStream;

/**
 * A multipart whose parsing stops once the mail it belongs to has made a given number of parts. Jakarta Mail
 * builds every part of a multipart when it is first read, before a caller can count them: a mail of empty parts
 * (nine bytes each) makes millions, each holding its own buffers when the mail is read from a file, and exhausts
 * the heap. One {@link Budget} is shared by all the multiparts of one mail.
 */
final class BoundedMultipart extends MimeMultipart {

    /** Thrown by {@link #getCount()} and the other readers when the mail's budget of parts is spent. */
    static final class TooManyParts extends MessagingException {
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

    BoundedMultipart(MimePart part, Budget budget) throws MessagingException {
        super(new MimePartDataSource(part));
        this.budget = budget;
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
