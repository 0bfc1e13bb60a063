package io.smtpsidecar.hosts;

import io.smtpsidecar.addr.IpAddresses;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * An immutable Exim-style host list restricted to addresses: IPv4/IPv6 literals, CIDR blocks and {@code *}, each
 * optionally negated with {@code !}. Used for settings such as {@code hosts_proxy} that are copied from an Exim
 * configuration.
 *
 * <p>Matching follows Exim: items are tried in order and the first one that covers the peer decides (a negated item
 * means "no match"); when none covers it the result is "no match", unless the last item is negated, in which case
 * the list behaves as if it ended with {@code *}. Peers are canonicalized first, so IPv4 items match IPv4-mapped IPv6
 * peers. IPv6 items (other than {@code ::ffff:0:0/96} and narrower, which become IPv4 items) never match IPv4 peers;
 * only {@code *} matches both families.
 *
 * <p>Host names, {@code @}, {@code @[]}, lookups, named lists, regular expressions and expansions are rejected with
 * an {@link IllegalArgumentException} that names the item and the reason: the sidecar must decide on the socket peer
 * address alone, without DNS.
 */
public final class HostList {
    private static final HostList EMPTY = new HostList(List.of());

    private final List<HostPattern> patterns;

    private HostList(List<HostPattern> patterns) {
        this.patterns = patterns;
    }

    /**
     * Parses Exim list string syntax: {@code 10.0.0.0/8 : 192.0.2.7}, {@code 127.0.0.1 : ::::1} (doubled colons)
     * or {@code <; 2001:db8::/32 ; 10.1.2.3} (changed separator). Whitespace around items and empty items are ignored.
     */
    public static HostList parse(String eximList) {
        EximListSyntax.Split split = EximListSyntax.split(eximList);
        return build(split.items(), split.separator() == EximListSyntax.DEFAULT_SEPARATOR);
    }

    /** Builds a list from the YAML list form: each element is one item (never split on separators). */
    public static HostList of(List<String> items) {
        Objects.requireNonNull(items, "items");
        // List.of(...).contains(null) throws, so look for nulls by hand
        if (items.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("host list contains a null item");
        }
        return build(items, false);
    }

    public static HostList empty() {
        return EMPTY;
    }

    private static HostList build(List<String> rawItems, boolean colonList) {
        List<HostPattern> patterns = new ArrayList<>(rawItems.size());
        for (String raw : rawItems) {
            String item = raw.strip();
            if (!item.isEmpty()) {
                patterns.add(HostPattern.parse(item, colonList));
            }
        }
        return patterns.isEmpty() ? EMPTY : new HostList(List.copyOf(patterns));
    }

    /** Whether {@code peer} is in the list (see the class description for the rules). */
    public boolean matches(InetAddress peer) {
        byte[] address = IpAddresses.canonical(Objects.requireNonNull(peer, "peer")).getAddress();
        for (HostPattern pattern : patterns) {
            if (pattern.covers(address)) {
                return !pattern.negated();
            }
        }
        return !patterns.isEmpty() && patterns.get(patterns.size() - 1).negated();
    }

    public boolean isEmpty() {
        return patterns.isEmpty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostList other && patterns.equals(other.patterns);
    }

    @Override
    public int hashCode() {
        return patterns.hashCode();
    }

    /**
     * Canonical list string that {@link #parse} reads back to an equal list: {@code " : "}-separated, or
     * {@code "<; "} with {@code " ; "} when an item holds a ':'; empty for the empty list.
     */
    @Override
    public String toString() {
        boolean colonFree = patterns.stream().noneMatch(HostPattern::needsNonColonSeparator);
        String items = patterns.stream()
                .map(HostPattern::toString)
                .collect(Collectors.joining(colonFree ? " : " : " ; "));
        return colonFree ? items : "<; " + items;
    }
}
