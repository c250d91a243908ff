package io.throughline.http;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One byte range of a file (RFC 9110 section 14), as browsers ask for audio and video: Safari plays a voice note
 * or a video only from a server that answers ranges with 206, and seeking needs them everywhere.
 *
 * @param offset the first byte
 * @param length how many bytes
 */
record ByteRange(long offset, long length) {

    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    /** Thrown for a range that lies wholly past the end of the file: the answer is 416. */
    static final class Unsatisfiable extends Exception {
        Unsatisfiable() {
            super(null, null, false, false);
        }
    }

    /**
     * The range a {@code Range} header asks for in a file of {@code size} bytes; empty when the whole file is the
     * answer (no header, a unit other than bytes, several ranges, or a header that does not parse: the RFC lets a
     * server ignore those).
     */
    static Optional<ByteRange> parse(String header, long size) throws Unsatisfiable {
        if (header == null) {
            return Optional.empty();
        }
        Matcher m = SINGLE.matcher(header.strip());
        if (!m.matches() || m.group(1).isEmpty() && m.group(2).isEmpty()
                || m.group(1).length() > 18 || m.group(2).length() > 18) {
            return Optional.empty();
        }
        if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2));
            if (suffix == 0 || size == 0) {
                throw new Unsatisfiable();
            }
            long length = Math.min(suffix, size);
            return Optional.of(new ByteRange(size - length, length));
        }
        long first = Long.parseLong(m.group(1));
        if (first >= size) {
            throw new Unsatisfiable();
        }
        long last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
        if (last < first) {
            return Optional.empty();
        }
        return Optional.of(new ByteRange(first, last - first + 1));
    }

    String contentRange(long size) {
        return "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
    }
}
