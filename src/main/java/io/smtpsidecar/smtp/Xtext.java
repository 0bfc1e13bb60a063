package io.smtpsidecar.smtp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * RFC 3461 section 4 xtext, as XCLIENT uses it for attribute values: the value is taken as UTF-8 bytes, and bytes
 * below 0x21, above 0x7E, {@code '+'} and {@code '='} become {@code +XX} with upper-case hex. The encoded form
 * therefore never holds a space, CR or LF, which is what keeps a hostile value inside its attribute.
 */
public final class Xtext {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private Xtext() {
    }

    public static String encode(String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (isPlain(c)) {
                sb.append((char) c);
            } else {
                sb.append('+').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return sb.toString();
    }

    /**
     * Decodes xtext; hex digits may be in either case (as Postfix accepts them). The bytes are read as UTF-8,
     * malformed sequences becoming U+FFFD.
     *
     * @throws IllegalArgumentException on a {@code '+'} not followed by two hex digits, or a character that xtext
     *                                  does not allow unencoded
     */
    public static String decode(String xtext) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(xtext.length());
        int i = 0;
        while (i < xtext.length()) {
            char c = xtext.charAt(i);
            if (c == '+') {
                boolean complete = i + 2 < xtext.length();
                int high = complete ? hexValue(xtext.charAt(i + 1)) : -1;
                int low = complete ? hexValue(xtext.charAt(i + 2)) : -1;
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("bad xtext escape at offset " + i
                            + ": '+' must be followed by two hex digits");
                }
                out.write(high << 4 | low);
                i += 3;
            } else if (isPlain(c)) {
                out.write(c);
                i++;
            } else {
                throw new IllegalArgumentException("character U+" + String.format("%04X", (int) c)
                        + " at offset " + i + " is not allowed unencoded in xtext");
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isPlain(int c) {
        return c >= 0x21 && c <= 0x7e && c != '+' && c != '=';
    }

    /** Character.digit also takes non-ASCII digits, which are not hex in xtext. */
    private static int hexValue(char c) {
        return c < 0x80 ? Character.digit(c, 16) : -1;
    }
}
