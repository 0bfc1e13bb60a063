package io.smtpsidecar.proxy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Walks the TLV area of a v2 header: first {@link #check} proves every length stays inside its container and the
 * CRC32C (if any) matches, then {@link #read} copies the values out, so nothing is taken from a header that fails.
 */
final class V2Tlvs {
    private static final int TLV_HEADER = 3;
    /** PP2_TYPE_SSL's fixed prefix: client (u8) and verify (u32). */
    private static final int SSL_PREFIX = 5;
    private static final int CRC_LENGTH = 4;

    private V2Tlvs() {
    }

    /** Returns why the TLVs in {@code buf[from, to)} are invalid, or null; {@code to} is also the header's end. */
    static String check(byte[] buf, int from, int to) {
        int crcAt = -1;
        for (int pos = from; pos < to; pos = next(buf, pos)) {
            String bounds = bounds(buf, pos, to, "TLV");
            if (bounds != null) {
                return bounds;
            }
            int type = buf[pos] & 0xFF;
            int length = valueLength(buf, pos);
            int value = pos + TLV_HEADER;
            if (type == Tlv.TYPE_CRC32C) {
                if (length != CRC_LENGTH) {
                    return "v2: CRC32C TLV length " + length + ", expected " + CRC_LENGTH;
                }
                if (crcAt >= 0) {
                    return "v2: more than one CRC32C TLV";
                }
                crcAt = value;
            } else if (type == Tlv.TYPE_SSL) {
                String ssl = checkSsl(buf, value, length);
                if (ssl != null) {
                    return ssl;
                }
            }
        }
        return crcAt >= 0 && !crcMatches(buf, to, crcAt) ? "v2: CRC32C mismatch" : null;
    }

    /** The TLVs of a region {@link #check} accepted, in wire order. */
    static List<Tlv> read(byte[] buf, int from, int to) {
        List<Tlv> tlvs = new ArrayList<>();
        for (int pos = from; pos < to; pos = next(buf, pos)) {
            int value = pos + TLV_HEADER;
            tlvs.add(new Tlv(buf[pos] & 0xFF, Arrays.copyOfRange(buf, value, value + valueLength(buf, pos))));
        }
        return tlvs;
    }

    private static String checkSsl(byte[] buf, int value, int length) {
        if (length < SSL_PREFIX) {
            return "v2: SSL TLV length " + length + ", expected at least " + SSL_PREFIX;
        }
        int end = value + length;
        for (int pos = value + SSL_PREFIX; pos < end; pos = next(buf, pos)) {
            String bounds = bounds(buf, pos, end, "SSL sub-TLV");
            if (bounds != null) {
                return bounds;
            }
        }
        return null;
    }

    private static String bounds(byte[] buf, int pos, int end, String what) {
        if (end - pos < TLV_HEADER) {
            return "v2: " + (end - pos) + " trailing byte(s) after the last " + what;
        }
        int overrun = pos + TLV_HEADER + valueLength(buf, pos) - end;
        return overrun > 0
                ? String.format("v2: %s 0x%02X length %d overruns its container by %d bytes", what,
                        buf[pos] & 0xFF, valueLength(buf, pos), overrun)
                : null;
    }

    private static int valueLength(byte[] buf, int pos) {
        return ((buf[pos + 1] & 0xFF) << 8) | (buf[pos + 2] & 0xFF);
    }

    private static int next(byte[] buf, int pos) {
        return pos + TLV_HEADER + valueLength(buf, pos);
    }

    /** CRC-32C of the whole header with the checksum's own four bytes taken as zero. */
    private static boolean crcMatches(byte[] buf, int headerLength, int crcAt) {
        CRC32C crc = new CRC32C();
        crc.update(buf, 0, crcAt);
        crc.update(new byte[CRC_LENGTH]);
        crc.update(buf, crcAt + CRC_LENGTH, headerLength - crcAt - CRC_LENGTH);
        long announced = ((buf[crcAt] & 0xFFL) << 24) | ((buf[crcAt + 1] & 0xFF) << 16)
                | ((buf[crcAt + 2] & 0xFF) << 8) | (buf[crcAt + 3] & 0xFF);
        return crc.getValue() == announced;
    }
}
