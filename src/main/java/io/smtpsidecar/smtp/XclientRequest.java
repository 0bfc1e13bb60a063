package io.smtpsidecar.smtp;

import io.smtpsidecar.addr.IpAddresses;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What the sidecar tells the backend about the real client, and the XCLIENT commands that carry it (Postfix
 * XCLIENT_README). Addresses are canonicalized, so an IPv4-mapped IPv6 address is sent as IPv4.
 *
 * @param address            the client address (ADDR)
 * @param port               the client port (PORT)
 * @param name               a validated host name, {@code [UNAVAILABLE]} or {@code [TEMPUNAVAIL]} (NAME)
 * @param destinationAddress the address the client connected to (DESTADDR), or null when unknown
 * @param destinationPort    the port the client connected to (DESTPORT), ignored when {@code destinationAddress} is
 *                           null
 */
public record XclientRequest(InetAddress address, int port, String name, InetAddress destinationAddress,
                             int destinationPort) {
    /** RFC 5321 section 4.5.3.1.4: a command line, including its CRLF. */
    static final int MAX_COMMAND_OCTETS = 512;
    /** Postfix answers "501 5.5.4 Error: attribute value too long" above this. */
    private static final int MAX_VALUE_OCTETS = 255;
    private static final String COMMAND = "XCLIENT";
    private static final String CRLF = "\r\n";
    private static final List<String> IDENTITY = List.of("ADDR", "NAME");

    public XclientRequest {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("name must not be empty");
        }
        checkPort("port", port);
        address = IpAddresses.canonical(address);
        if (destinationAddress != null) {
            checkPort("destinationPort", destinationPort);
            destinationAddress = IpAddresses.canonical(destinationAddress);
        }
    }

    /**
     * The XCLIENT command lines (without CRLF) to send in order, with only the attributes in {@code advertised}.
     * One line {@code XCLIENT ADDR=… PORT=… NAME=… DESTADDR=… DESTPORT=…} when it fits; otherwise ADDR and NAME, with
     * whatever else fits, go in the last command, because a Postfix client is usually no longer authorized for
     * XCLIENT once ADDR has been applied (XCLIENT_README Note 1). Expect one reply per command.
     *
     * @param advertised attribute names from {@link EhloCapabilities#xclientAttributes}, any case
     * @throws IllegalArgumentException when ADDR or NAME is not advertised (ADDR without NAME would leave Postfix
     *                                  with the sidecar's host name), or a value is over 255 octets once encoded
     */
    public List<String> commands(Set<String> advertised) {
        return commands(advertised, MAX_COMMAND_OCTETS);
    }

    /** As {@link #commands(Set)} with another line limit; with five attributes 512 octets never needs a split. */
    List<String> commands(Set<String> advertised, int maxCommandOctets) {
        Set<String> offered = advertised.stream().map(a -> a.toUpperCase(Locale.ROOT)).collect(Collectors.toSet());
        for (String required : IDENTITY) {
            if (!offered.contains(required)) {
                throw new IllegalArgumentException("backend does not advertise XCLIENT " + required
                        + " (advertised: " + String.join(" ", advertised) + ")");
            }
        }
        List<Attribute> attributes = attributes(offered);
        int limit = maxCommandOctets - CRLF.length();
        if (length(attributes) <= limit) {
            return List.of(command(attributes));
        }
        Set<String> inLast = new HashSet<>(IDENTITY);
        if (length(only(attributes, inLast)) > limit) {
            throw new IllegalArgumentException("ADDR and NAME do not fit in one XCLIENT command of "
                    + maxCommandOctets + " octets");
        }
        List<Attribute> earlier = new ArrayList<>();
        for (Attribute attribute : attributes) {
            if (inLast.add(attribute.name()) && length(only(attributes, inLast)) > limit) {
                inLast.remove(attribute.name());
                earlier.add(attribute);
            }
        }
        List<String> commands = pack(earlier, limit);
        commands.add(command(only(attributes, inLast)));
        return List.copyOf(commands);
    }

    /** The attributes the backend offers, in the order ADDR, PORT, NAME, DESTADDR, DESTPORT. */
    private List<Attribute> attributes(Set<String> offered) {
        List<Attribute> all = new ArrayList<>(5);
        addIfOffered(all, offered, "ADDR", addressValue(address));
        addIfOffered(all, offered, "PORT", Integer.toString(port));
        addIfOffered(all, offered, "NAME", name);
        if (destinationAddress != null) {
            addIfOffered(all, offered, "DESTADDR", addressValue(destinationAddress));
            addIfOffered(all, offered, "DESTPORT", Integer.toString(destinationPort));
        }
        return all;
    }

    private static void addIfOffered(List<Attribute> attributes, Set<String> offered, String name, String value) {
        if (offered.contains(name)) {
            attributes.add(Attribute.of(name, value));
        }
    }

    /** Greedy, order-preserving packing into as few commands as the limit allows. */
    private static List<String> pack(List<Attribute> attributes, int limit) {
        List<String> commands = new ArrayList<>();
        List<Attribute> current = new ArrayList<>();
        for (Attribute attribute : attributes) {
            current.add(attribute);
            if (current.size() > 1 && length(current) > limit) {
                current.remove(current.size() - 1);
                commands.add(command(current));
                current = new ArrayList<>(List.of(attribute));
            }
            if (length(current) > limit) {
                throw new IllegalArgumentException("XCLIENT " + attribute.name()
                        + " does not fit in one command of " + (limit + CRLF.length()) + " octets");
            }
        }
        if (!current.isEmpty()) {
            commands.add(command(current));
        }
        return commands;
    }

    private static List<Attribute> only(List<Attribute> attributes, Set<String> names) {
        return attributes.stream().filter(a -> names.contains(a.name())).toList();
    }

    private static int length(List<Attribute> attributes) {
        return command(attributes).length();
    }

    private static String command(List<Attribute> attributes) {
        StringBuilder sb = new StringBuilder(COMMAND);
        attributes.forEach(a -> sb.append(' ').append(a.name()).append('=').append(a.value()));
        return sb.toString();
    }

    /** Postfix wants IPv6 prefixed with "IPV6:" and never bracketed. */
    private static String addressValue(InetAddress address) {
        String text = IpAddresses.format(address);
        return address instanceof Inet6Address ? "IPV6:" + text : text;
    }

    private static void checkPort(String field, int value) {
        if (value < 0 || value > 65535) {
            throw new IllegalArgumentException(field + " out of range 0..65535: " + value);
        }
    }

    /** One {@code name=value} pair; the value is already xtext-encoded and therefore pure ASCII. */
    private record Attribute(String name, String value) {
        static Attribute of(String name, String rawValue) {
            String encoded = Xtext.encode(rawValue);
            if (encoded.length() > MAX_VALUE_OCTETS) {
                throw new IllegalArgumentException("XCLIENT " + name + " value is " + encoded.length()
                        + " octets after xtext encoding, more than " + MAX_VALUE_OCTETS);
            }
            return new Attribute(name, encoded);
        }
    }
}
