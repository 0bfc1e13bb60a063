package io.smtpsidecar.proxy;

import io.smtpsidecar.addr.IpAddresses;
import java.util.List;

/**
 * The value grammars of a v1 TCP line, checked both as complete fields and as prefixes still being received.
 *
 * <p>A prefix is viable when appending some text yields a valid field. Each kind lists candidate completions,
 * shortest first, such that whenever any completion exists one of these works (for IPv6 a pending hex group can
 * always be closed with {@code ":0"} or {@code "::"}, a pending dotted tail with zero octets); the first one that
 * works is also the shortest, which bounds how long the line must still grow.
 */
enum V1Field {
    IPV4("0.0.0.0", List.of("", "0", ".0", "0.0", ".0.0", "0.0.0", ".0.0.0", "0.0.0.0")) {
        @Override
        boolean isValid(String text) {
            return IpAddresses.parseIpv4(text) != null;
        }
    },
    IPV6("::", List.of("", "0", ":", "::", ":0", ".0", "0.0", ".0.0", "0.0.0")) {
        @Override
        boolean isValid(String text) {
            // the colon check keeps a bare dotted quad from counting as an IPv6 literal
            return text.indexOf(':') >= 0 && IpAddresses.parseIpv6(text) != null;
        }
    },
    PORT("0", List.of("", "0")) {
        @Override
        boolean isValid(String text) {
            int n = text.length();
            if (n == 0 || n > 5 || (n > 1 && text.charAt(0) == '0')) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                    return false;
                }
            }
            return Integer.parseInt(text) <= 65535;
        }
    };

    private final int minLength;
    private final List<String> completions;

    V1Field(String shortest, List<String> completions) {
        this.minLength = shortest.length();
        this.completions = completions;
    }

    abstract boolean isValid(String text);

    /** Length of the shortest valid value of this kind. */
    int minLength() {
        return minLength;
    }

    /** The fewest characters that make {@code prefix} a valid value, or -1 when no continuation can. */
    int completion(String prefix) {
        for (String candidate : completions) {
            if (isValid(prefix + candidate)) {
                return candidate.length();
            }
        }
        return -1;
    }
}
