package io.smtpsidecar.dns;

import io.smtpsidecar.addr.IpAddresses;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The two DNS messages of a stub lookup (RFC 1035 section 4), without I/O: one question out, and the records of that
 * question's name and type read back from the answer.
 *
 * <p>Answer data comes from whoever controls the client's reverse zone, so reading it is bounded: names of at most
 * 255 bytes on the wire, compression pointers that only point backwards (no loops), every length checked against
 * the message. A PTR name over 255 bytes is {@link Answer.Unusable} (no name), not a decoding error.
 */
final class DnsWire {
    static final int TYPE_A = 1;
    static final int TYPE_PTR = 12;
    static final int TYPE_AAAA = 28;
    /** EDNS(0) UDP payload size (DNS Flag Day 2020): answers up to this size come without truncation. */
    static final int UDP_PAYLOAD = 1232;

    private static final int HEADER = 12;
    private static final int CLASS_IN = 1;
    private static final int TYPE_OPT = 41;
    private static final int MAX_NAME = 255;
    private static final int FLAG_RESPONSE = 0x8000;
    private static final int FLAG_TRUNCATED = 0x0200;
    private static final int FLAG_RECURSION_DESIRED = 0x0100;
    private static final int RCODE_NXDOMAIN = 3;

    /** What a datagram says about one query. */
    sealed interface Answer {
        /** Not the answer to this query (another ID or question, or no DNS response at all): keep waiting. */
        record Foreign() implements Answer {
        }

        /**
         * The data of the records of the question's name and type, in message order: names for PTR, address
         * literals for A and AAAA. Empty for NXDOMAIN and for a name without such records.
         */
        record Values(List<String> values) implements Answer {
            public Values {
                values = List.copyOf(values);
            }
        }

        /** A failure that another server or a later try may not have: server failure, truncation, malformation. */
        record Temporary(String reason) implements Answer {
        }

        /** The data itself cannot be used (a PTR name over 255 bytes): as final as having no name. */
        record Unusable(String reason) implements Answer {
        }
    }

    /** A name as read: its text, or null when it is over 255 bytes; {@code end} is where the record goes on. */
    private record Name(String text, int end) {
    }

    private static final class Malformed extends RuntimeException {
        Malformed(String reason) {
            super(reason, null, false, false);
        }
    }

    private DnsWire() {
    }

    /**
     * A recursive query for {@code name} (dotted, without the root dot) with an EDNS(0) record offering
     * {@link #UDP_PAYLOAD} bytes.
     */
    static byte[] query(int id, String name, int type) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER + name.length() + 17);
        writeShort(out, id);
        writeShort(out, FLAG_RECURSION_DESIRED);
        writeShort(out, 1);
        writeShort(out, 0);
        writeShort(out, 0);
        writeShort(out, 1);
        writeName(out, name);
        writeShort(out, type);
        writeShort(out, CLASS_IN);
        // OPT pseudo-record: root name, type 41, class = payload size, TTL 0, no options
        out.write(0);
        writeShort(out, TYPE_OPT);
        writeShort(out, UDP_PAYLOAD);
        out.writeBytes(new byte[6]);
        return out.toByteArray();
    }

    /** Reads {@code message} as the answer to the query {@link #query} built from the same arguments. */
    static Answer read(byte[] message, int id, String name, int type) {
        int end;
        try {
            end = question(message, id, name, type);
        } catch (Malformed | IndexOutOfBoundsException e) {
            return new Answer.Foreign();
        }
        if (end < 0) {
            return new Answer.Foreign();
        }
        int flags = u16(message, 2);
        if ((flags & FLAG_TRUNCATED) != 0) {
            return new Answer.Temporary("truncated answer");
        }
        int rcode = flags & 0x0F;
        if (rcode == RCODE_NXDOMAIN) {
            return new Answer.Values(List.of());
        }
        if (rcode != 0) {
            return new Answer.Temporary("server answered RCODE " + rcode);
        }
        try {
            return records(message, end, name, type);
        } catch (Malformed e) {
            return new Answer.Temporary("malformed answer: " + e.getMessage());
        } catch (IndexOutOfBoundsException e) {
            return new Answer.Temporary("malformed answer: the message ends early");
        }
    }

    /** Where the answer section starts when {@code message} answers this question, else -1. */
    private static int question(byte[] message, int id, String name, int type) {
        if (message.length < HEADER || u16(message, 0) != id || (u16(message, 2) & FLAG_RESPONSE) == 0
                || u16(message, 4) != 1) {
            return -1;
        }
        Name asked = readName(message, HEADER);
        int end = asked.end() + 4;
        boolean same = name.equalsIgnoreCase(asked.text()) && u16(message, asked.end()) == type
                && u16(message, asked.end() + 2) == CLASS_IN;
        return same ? end : -1;
    }

    private static Answer records(byte[] message, int from, String name, int type) {
        int count = u16(message, 6);
        List<String> values = new ArrayList<>();
        int pos = from;
        for (int i = 0; i < count; i++) {
            Name owner = readName(message, pos);
            int rdata = owner.end() + 10;
            int length = u16(message, owner.end() + 8);
            if (rdata + length > message.length) {
                throw new IndexOutOfBoundsException();
            }
            boolean wanted = u16(message, owner.end()) == type && u16(message, owner.end() + 2) == CLASS_IN
                    && name.equalsIgnoreCase(owner.text());
            if (wanted && type == TYPE_PTR) {
                String target = readName(message, rdata).text();
                if (target == null) {
                    return new Answer.Unusable("PTR name longer than " + MAX_NAME + " bytes");
                }
                values.add(target);
            } else if (wanted) {
                values.add(address(message, rdata, length, type));
            }
            pos = rdata + length;
        }
        return new Answer.Values(values);
    }

    private static String address(byte[] message, int at, int length, int type) {
        int expected = type == TYPE_A ? 4 : 16;
        if (length != expected) {
            throw new Malformed((type == TYPE_A ? "A" : "AAAA") + " record of " + length + " bytes");
        }
        return IpAddresses.format(IpAddresses.toAddress(Arrays.copyOfRange(message, at, at + length)));
    }

    /**
     * Reads the name at {@code start}, following compression pointers; each must point before the part of the name
     * read so far, so a hostile message cannot make it loop. Label bytes are kept as they are (host-name checks
     * reject what is not a letter, digit or '-'), except '.' and '\', which are escaped so that one label can never
     * pass for two.
     */
    private static Name readName(byte[] message, int start) {
        StringBuilder text = new StringBuilder();
        int wire = 1;
        int pos = start;
        int segment = start;
        int end = -1;
        for (int length = message[pos] & 0xFF; length != 0; length = message[pos] & 0xFF) {
            if ((length & 0xC0) == 0xC0) {
                int target = ((length & 0x3F) << 8) | (message[pos + 1] & 0xFF);
                if (target >= segment) {
                    throw new Malformed("compression pointer does not point backwards");
                }
                end = end < 0 ? pos + 2 : end;
                pos = target;
                segment = target;
            } else if (length > 63) {
                throw new Malformed("label length byte 0x" + Integer.toHexString(length));
            } else {
                wire += 1 + length;
                if (wire <= MAX_NAME) {
                    appendLabel(text, message, pos + 1, length);
                }
                pos += 1 + length;
            }
        }
        return new Name(wire <= MAX_NAME ? text.toString() : null, end < 0 ? pos + 1 : end);
    }

    private static void appendLabel(StringBuilder text, byte[] message, int from, int length) {
        if (text.length() > 0) {
            text.append('.');
        }
        for (int i = from; i < from + length; i++) {
            char c = (char) (message[i] & 0xFF);
            if (c == '.' || c == '\\') {
                text.append('\\');
            }
            text.append(c);
        }
    }

    private static void writeName(ByteArrayOutputStream out, String name) {
        byte[] text = name.getBytes(StandardCharsets.US_ASCII);
        if (text.length + 2 > MAX_NAME) {
            throw new IllegalArgumentException("name longer than " + MAX_NAME + " bytes: " + name);
        }
        int labelStart = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i == text.length || text[i] == '.') {
                int length = i - labelStart;
                if (length < 1 || length > 63) {
                    throw new IllegalArgumentException("label of " + length + " bytes in " + name);
                }
                out.write(length);
                out.write(text, labelStart, length);
                labelStart = i + 1;
            }
        }
        out.write(0);
    }

    private static void writeShort(ByteArrayOutputStream out, int value) {
        out.write(value >> 8);
        out.write(value);
    }

    private static int u16(byte[] message, int at) {
        return ((message[at] & 0xFF) << 8) | (message[at + 1] & 0xFF);
    }
}
