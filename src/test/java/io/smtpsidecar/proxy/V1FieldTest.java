package io.smtpsidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.smtpsidecar.addr.IpAddresses;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The short candidate lists in {@link V1Field} must agree with an exhaustive search for a completion, both on
 * whether one exists and on the shortest length.
 */
class V1FieldTest {
    /** Longer than any completion a prefix can need ("0.0.0.0" for an empty IPv4 field). */
    private static final int SEARCH_DEPTH = 7;
    /**
     * The only digit the search appends: an appended digit starts or extends a hex group or an octet, and wherever
     * some digit keeps the text valid, '0' does too (a new octet may be "0"; extending "25" by '0' stays in range).
     */
    private static final String DIGIT_ZERO = "0";

    @Test
    void everyPrefixOfAValidAddressIsViable() {
        Random random = new Random(7);
        for (int i = 0; i < 500; i++) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            // sprinkle zero runs so that "::" forms appear
            for (int g = random.nextInt(8); g < 8 && random.nextBoolean(); g++) {
                bytes[2 * g] = 0;
                bytes[2 * g + 1] = 0;
            }
            String v6 = IpAddresses.format(IpAddresses.toAddress(bytes));
            String v4 = IpAddresses.format(IpAddresses.toAddress(new byte[] {bytes[0], bytes[1], bytes[2], bytes[3]}));
            for (String text : List.of(v6, v4, "::ffff:" + v4, "64:ff9b::" + v4)) {
                V1Field kind = text.indexOf(':') >= 0 ? V1Field.IPV6 : V1Field.IPV4;
                for (int end = 0; end <= text.length(); end++) {
                    assertThat(kind.completion(text.substring(0, end))).as(text.substring(0, end))
                            .isGreaterThanOrEqualTo(0);
                }
            }
        }
    }

    @Test
    void ipv6CandidatesMatchExhaustiveSearch() {
        List<String> prefixes = new ArrayList<>();
        enumerate("", "0a:.", 5, prefixes);
        Random random = new Random(11);
        for (int i = 0; i < 1000; i++) {
            prefixes.add(randomText(random, "01af:.", 4 + random.nextInt(18)));
        }
        for (String prefix : prefixes) {
            assertThat(V1Field.IPV6.completion(prefix)).as(prefix)
                    .isEqualTo(search(V1Field.IPV6, prefix, DIGIT_ZERO + ":.", SEARCH_DEPTH - 1));
        }
    }

    @Test
    void ipv4CandidatesMatchExhaustiveSearch() {
        List<String> prefixes = new ArrayList<>();
        enumerate("", "025.", 6, prefixes);
        for (String prefix : prefixes) {
            assertThat(V1Field.IPV4.completion(prefix)).as(prefix)
                    .isEqualTo(search(V1Field.IPV4, prefix, DIGIT_ZERO + ".", SEARCH_DEPTH));
        }
    }

    @Test
    void portPrefixes() {
        assertThat(V1Field.PORT.completion("")).isEqualTo(1);
        assertThat(V1Field.PORT.completion("0")).isZero();
        assertThat(V1Field.PORT.completion("6553")).isZero();
        assertThat(V1Field.PORT.completion("00")).isEqualTo(-1);
        assertThat(V1Field.PORT.completion("65536")).isEqualTo(-1);
        assertThat(V1Field.PORT.completion("+")).isEqualTo(-1);
    }

    /** Shortest completion over {@code alphabet} of at most {@code maxDepth} characters, or -1. */
    private static int search(V1Field kind, String prefix, String alphabet, int maxDepth) {
        List<String> layer = List.of("");
        for (int depth = 0; depth <= maxDepth; depth++) {
            List<String> next = new ArrayList<>();
            for (String suffix : layer) {
                if (kind.isValid(prefix + suffix)) {
                    return depth;
                }
                for (char c : alphabet.toCharArray()) {
                    next.add(suffix + c);
                }
            }
            layer = next;
        }
        return -1;
    }

    private static void enumerate(String prefix, String alphabet, int depth, List<String> out) {
        out.add(prefix);
        if (depth > 0) {
            for (char c : alphabet.toCharArray()) {
                enumerate(prefix + c, alphabet, depth - 1, out);
            }
        }
    }

    private static String randomText(Random random, String alphabet, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
