package io.smtpsidecar.hosts;

import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet4Address;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * One host-list item: {@code *}, an address or a CIDR block, possibly negated.
 *
 * @param negated whether the item was written with a leading {@code !}
 * @param network 4 or 16 bytes with the bits beyond {@code prefix} cleared, or null for {@code *}
 * @param prefix  number of leading bits that must match (0 for {@code *})
 */
record HostPattern(boolean negated, byte[] network, int prefix) {
    private static final int MAPPED_PREFIX_BITS = 96;
    /** Names and wildcard names such as {@code *.example.org}; digits-only items are treated as bad addresses. */
    private static final Pattern HOST_NAME = Pattern.compile("(?=.*[A-Za-z*])[A-Za-z0-9*_.-]+");
    private static final Pattern HEX_FRAGMENT = Pattern.compile("[0-9A-Fa-f]+");
    private static final String IPV6_HINT = " (in a ':'-separated list write each ':' of an IPv6 address as '::',"
            + " or change the separator, e.g. '<; 2001:db8::/32 ; 10.0.0.0/8')";

    /**
     * Parses one trimmed, non-empty item.
     *
     * @param colonList whether the item came from a {@code :}-separated list string, where an undoubled IPv6 colon
     *                  splits the address into nonsense; the error message then says how to write it
     */
    static HostPattern parse(String item, boolean colonList) {
        boolean negated = item.startsWith("!");
        String body = negated ? item.substring(1).stripLeading() : item;
        if (body.isEmpty()) {
            throw bad(item, "'!' must be followed by an address, CIDR or '*'");
        }
        if (body.equals("*")) {
            return new HostPattern(negated, null, 0);
        }
        String unsupported = unsupportedKind(body);
        if (unsupported != null) {
            throw bad(item, unsupported);
        }
        int slash = body.indexOf('/');
        String addressText = slash < 0 ? body : body.substring(0, slash);
        byte[] address = addressText.indexOf(':') >= 0
                ? IpAddresses.parseIpv6(addressText)
                : IpAddresses.parseIpv4(addressText);
        if (address == null) {
            if (slash < 0 && HOST_NAME.matcher(body).matches()) {
                throw bad(item, "host names are not supported (use addresses or CIDR)");
            }
            boolean looksLikeSplitIpv6 = addressText.indexOf(':') >= 0 || HEX_FRAGMENT.matcher(addressText).matches();
            throw bad(item, "'" + addressText + "' is not an IP address"
                    + (colonList && looksLikeSplitIpv6 ? IPV6_HINT : ""));
        }
        int maxPrefix = address.length * 8;
        int prefix = slash < 0 ? maxPrefix : parsePrefix(item, body.substring(slash + 1), maxPrefix);
        return create(negated, address, prefix);
    }

    /** True for {@code *}, or when {@code address} (4 or 16 bytes, canonical) lies in this block. */
    boolean covers(byte[] address) {
        if (network == null) {
            return true;
        }
        if (address.length != network.length) {
            return false;
        }
        int fullBytes = prefix / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (address[i] != network[i]) {
                return false;
            }
        }
        int restBits = prefix % 8;
        if (restBits == 0) {
            return true;
        }
        int mask = (0xff << (8 - restBits)) & 0xff;
        return (address[fullBytes] & mask) == (network[fullBytes] & 0xff);
    }

    /** Whether the printed form holds a ':' and so needs a list separator other than the default. */
    boolean needsNonColonSeparator() {
        return network != null && network.length == 16;
    }

    @Override
    public byte[] network() {
        return network == null ? null : network.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostPattern other
                && negated == other.negated
                && prefix == other.prefix
                && Arrays.equals(network, other.network);
    }

    @Override
    public int hashCode() {
        return (Arrays.hashCode(network) * 31 + prefix) * 31 + Boolean.hashCode(negated);
    }

    /** Canonical item text: {@code *}, an RFC 5952 / dotted-quad address, or {@code network/prefix}. */
    @Override
    public String toString() {
        String sign = negated ? "!" : "";
        if (network == null) {
            return sign + "*";
        }
        String address = IpAddresses.format(IpAddresses.toAddress(network));
        return sign + address + (prefix == network.length * 8 ? "" : "/" + prefix);
    }

    private static HostPattern create(boolean negated, byte[] address, int prefix) {
        byte[] network = address;
        int bits = prefix;
        // ::ffff:a.b.c.d/96+ is written for IPv4 peers, which reach matching as plain IPv4 (IpAddresses.canonical)
        if (address.length == 16 && prefix >= MAPPED_PREFIX_BITS
                && IpAddresses.toAddress(address) instanceof Inet4Address v4) {
            network = v4.getAddress();
            bits = prefix - MAPPED_PREFIX_BITS;
        }
        // Exim masks host bits instead of rejecting 10.1.2.3/8, so the same list means the same here
        for (int i = 0; i < network.length; i++) {
            int keep = Math.min(8, Math.max(0, bits - i * 8));
            network[i] &= (byte) (0xff << (8 - keep));
        }
        return new HostPattern(negated, network, bits);
    }

    private static int parsePrefix(String item, String text, int maxPrefix) {
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(item, "prefix length '" + text + "' is not a decimal number");
        }
        int value = 0;
        for (int i = 0; i < text.length(); i++) {
            // saturate: any value above the maximum is out of range, however many digits it has
            value = Math.min(value * 10 + (text.charAt(i) - '0'), maxPrefix + 1);
        }
        if (value > maxPrefix) {
            throw bad(item, "prefix length out of range (0.." + maxPrefix + ")");
        }
        return value;
    }

    private static String unsupportedKind(String body) {
        if (body.startsWith("!")) {
            return "double negation is not supported";
        }
        if (body.startsWith("@[]")) {
            return "'@[]' (local interface addresses) is not supported";
        }
        if (body.startsWith("@")) {
            return "'@' items (local host name, MX lookups) are not supported";
        }
        if (body.startsWith("+")) {
            return "named lists are not supported";
        }
        if (body.startsWith("^")) {
            return "regular expressions are not supported";
        }
        if (body.indexOf('$') >= 0) {
            return "string expansions are not supported";
        }
        if (body.indexOf(';') >= 0) {
            return "lookups are not supported";
        }
        return null;
    }

    private static IllegalArgumentException bad(String item, String why) {
        return new IllegalArgumentException("item '" + item + "': " + why);
    }
}
