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

        @Override
        String flaw(String text) {
            if (text.indexOf(':') >= 0) {
                return "not an IPv4 address";
            }
            List<String> octets = List.of(text.split("\\.", -1));
            if (octets.size() != 4 || !octets.stream().allMatch(V1Field::isDecimal)) {
                return "not four decimal octets";
            }
            if (octets.stream().anyMatch(V1Field::hasLeadingZero)) {
                return "leading zero";
            }
            return "octet over 255";
        }
    },
    IPV6("::", List.of("", "0", ":", "::", ":0", ".0", "0.0", ".0.0", "0.0.0")) {
        @Override
        boolean isValid(String text) {
            // the colon check keeps a bare dotted quad from counting as an IPv6 literal
            return text.indexOf(':') >= 0 && IpAddresses.parseIpv6(text) != null;
        }

        @Override
        String flaw(String text) {
            if (text.indexOf(':') < 0) {
                return "not an IPv6 address";
            }
            return text.indexOf('%') >= 0 ? "zone id" : null;
        }
    },
    PORT("0", List.of("", "0")) {
        @Override
        boolean isValid(String text) {
            return isDecimal(text) && !hasLeadingZero(text) && text.length() <= 5 && Integer.parseInt(text) <= 65535;
        }

        @Override
        String flaw(String text) {
            if (!isDecimal(text)) {
                return "not a decimal number";
            }
            return hasLeadingZero(text) ? "leading zero" : "over 65535";
        }
    };

    private final int minLength;
    private final List<String> completions;

    V1Field(String shortest, List<String> completions) {
        this.minLength = shortest.length();
        this.completions = completions;
    }

    abstract boolean isValid(String text);

    /** Why a complete, non-empty field that is not {@link #isValid valid} is not; null when no short word says it. */
    abstract String flaw(String text);

    /** Length of the shortest valid value of this kind. */
    int minLength() {
        return minLength;
    }

    private static boolean isDecimal(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return !text.isEmpty();
    }

    private static boolean hasLeadingZero(String number) {
        return number.length() > 1 && number.charAt(0) == '0';
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
