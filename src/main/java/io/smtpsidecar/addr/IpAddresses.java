package io.smtpsidecar.addr;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict IP literal parsing and formatting, without any name resolution.
 *
 * <p>{@link InetAddress#getByName} is lenient (it accepts {@code 1.2.3}, octal-looking octets, zone ids) and may
 * resolve names, so protocol input and configuration go through here instead. IPv4 is exactly four decimal octets
 * 0..255 without leading zeros; IPv6 is RFC 4291 text (hex groups of 1..4 digits, at most one {@code ::}, an optional
 * dotted IPv4 tail) without a zone id. IPv4-mapped IPv6 addresses come back as {@link Inet4Address}, so that
 * {@code ::ffff:192.0.2.1} and {@code 192.0.2.1} are one client.
 */
public final class IpAddresses {
    private IpAddresses() {
    }

    /** Parses an IPv4 or IPv6 literal; returns null when {@code text} is not one. */
    public static InetAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        byte[] bytes = text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
        return bytes == null ? null : toAddress(bytes);
    }

    /** Four bytes for a strict dotted-quad literal, or null. */
    public static byte[] parseIpv4(String text) {
        return parseIpv4(text, 0, text.length());
    }

    private static byte[] parseIpv4(String s, int from, int to) {
        byte[] out = new byte[4];
        int octet = 0;
        int pos = from;
        while (octet < 4) {
            int start = pos;
            int value = 0;
            while (pos < to && pos - start < 3 && isDigit(s.charAt(pos))) {
                value = value * 10 + (s.charAt(pos) - '0');
                pos++;
            }
            int digits = pos - start;
            if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return null;
            }
            out[octet++] = (byte) value;
            if (octet < 4) {
                if (pos >= to || s.charAt(pos) != '.') {
                    return null;
                }
                pos++;
            }
        }
        return pos == to ? out : null;
    }

    /** Sixteen bytes for a strict IPv6 literal (no zone id, no brackets), or null. */
    public static byte[] parseIpv6(String s) {
        int len = s.length();
        if (len < 2 || len > 45) {
            return null;
        }
        byte[] out = new byte[16];
        int group = 0;
        int doubleColonAt = -1;
        int pos = 0;
        if (s.startsWith("::")) {
            doubleColonAt = 0;
            pos = 2;
            if (pos == len) {
                return out;
            }
        } else if (s.charAt(0) == ':') {
            return null;
        }
        while (pos < len) {
            if (group == 8) {
                return null;
            }
            int start = pos;
            int value = 0;
            while (pos < len && pos - start < 4 && hexValue(s.charAt(pos)) >= 0) {
                value = (value << 4) | hexValue(s.charAt(pos));
                pos++;
            }
            if (pos < len && s.charAt(pos) == '.') {
                // dotted IPv4 tail: must be the last 32 bits
                if (group > 6) {
                    return null;
                }
                byte[] v4 = parseIpv4(s, start, len);
                if (v4 == null) {
                    return null;
                }
                System.arraycopy(v4, 0, out, group * 2, 4);
                group += 2;
                pos = len;
                break;
            }
            if (pos == start) {
                return null;
            }
            out[group * 2] = (byte) (value >> 8);
            out[group * 2 + 1] = (byte) value;
            group++;
            if (pos == len) {
                break;
            }
            if (s.charAt(pos) != ':') {
                return null;
            }
            pos++;
            if (pos < len && s.charAt(pos) == ':') {
                if (doubleColonAt >= 0) {
                    return null;
                }
                doubleColonAt = group;
                pos++;
                if (pos == len) {
                    break;
                }
            } else if (pos == len) {
                return null; // trailing single colon
            }
        }
        if (doubleColonAt >= 0) {
            if (group == 8) {
                return null; // "::" must stand for at least one group
            }
            int tail = group - doubleColonAt;
            System.arraycopy(out, doubleColonAt * 2, out, 16 - tail * 2, tail * 2);
            java.util.Arrays.fill(out, doubleColonAt * 2, 16 - tail * 2, (byte) 0);
        } else if (group != 8) {
            return null;
        }
        return out;
    }

    /**
     * Builds an address from 4 or 16 raw bytes; IPv4-mapped IPv6 becomes IPv4 (the JDK already does that for
     * 16-byte arrays in {@code ::ffff:0:0/96}).
     */
    public static InetAddress toAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes, got " + bytes.length, e);
        }
    }

    /** Maps an IPv4-mapped {@link Inet6Address} (as a socket may report it) to IPv4; other addresses unchanged. */
    public static InetAddress canonical(InetAddress address) {
        if (address instanceof Inet6Address) {
            byte[] b = address.getAddress();
            boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = b[i] == 0;
            }
            if (mapped) {
                return toAddress(new byte[] {b[12], b[13], b[14], b[15]});
            }
        }
        return address;
    }

    /** Text form: dotted quad, or RFC 5952 compressed lower-case IPv6 (no zone id). */
    public static String format(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // longest run of two or more zero groups, first one on a tie (RFC 5952 section 4.2)
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
