package io.smtpsidecar.config;

import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig.DnsServer;
import io.smtpsidecar.dns.HostNames;
import io.smtpsidecar.hosts.HostList;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The value types of the configuration keys. Each parser throws IllegalArgumentException quoting the bad value. */
final class ValueParsers {
    private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    private ValueParsers() {
    }

    static String scalar(Object v) {
        if (v instanceof JsonObject || v instanceof JsonArray) {
            throw new IllegalArgumentException("expected a single value, got '" + v + "'");
        }
        return v.toString().trim();
    }

    static ConfigKey.Parser<Integer> integer(int min, int max) {
        return v -> {
            long n;
            try {
                n = Long.parseLong(scalar(v));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + v + "' is not a whole number (" + min + ".." + max + ")");
            }
            if (n < min || n > max) {
                throw new IllegalArgumentException("'" + v + "' is out of range (" + min + ".." + max + ")");
            }
            return (int) n;
        };
    }

    static ConfigKey.Parser<Duration> duration() {
        return v -> {
            Duration d = Durations.parse(scalar(v));
            if (d == null) {
                throw new IllegalArgumentException("'" + v + "' is not a duration (write e.g. 500ms, 3s, 2m)");
            }
            if (d.isZero() || d.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("'" + v + "' is out of range (1ms..1h)");
            }
            return d;
        };
    }

    static ConfigKey.Parser<Boolean> bool() {
        return v -> switch (scalar(v).toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("'" + v + "' is not a boolean (true or false)");
        };
    }

    /** An IP literal or a host name. */
    static ConfigKey.Parser<String> host() {
        return v -> {
            String s = scalar(v);
            if (IpAddresses.parse(s) == null && !HostNames.isValid(s)) {
                throw new IllegalArgumentException("'" + s + "' is neither an IP address nor a host name");
            }
            return s;
        };
    }

    static ConfigKey.Parser<String> hostName() {
        return v -> {
            String s = scalar(v);
            if (!HostNames.isValid(s)) {
                throw new IllegalArgumentException("'" + s + "' is not a valid host name");
            }
            return s;
        };
    }

    /** Text that follows {@code 220 } on the wire. */
    static ConfigKey.Parser<String> banner() {
        return v -> {
            String s = scalar(v);
            if (s.isEmpty() || s.length() > 400 || !s.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException(
                    "'" + s + "' must be 1..400 printable ASCII characters (it follows '220 ' on the wire)");
            }
            return s;
        };
    }

    /** A file path; empty means none. */
    static ConfigKey.Parser<String> file() {
        return v -> {
            String s = scalar(v);
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("'" + s + "' is not a file path");
            }
            return s.isEmpty() ? null : s;
        };
    }

    /** One of the labels of an enum, case-insensitive. */
    static <E extends Enum<E>> ConfigKey.Parser<E> choice(Class<E> type, Function<E, String> label) {
        return v -> {
            String s = scalar(v);
            List<String> labels = new ArrayList<>();
            for (E e : type.getEnumConstants()) {
                if (label.apply(e).equalsIgnoreCase(s)) {
                    return e;
                }
                labels.add(label.apply(e));
            }
            throw new IllegalArgumentException("'" + s + "' is not one of: " + String.join(", ", labels));
        };
    }

    /** An Exim host-list string or a YAML list of its items. */
    static ConfigKey.Parser<HostList> hostList() {
        return v -> {
            if (v instanceof JsonArray array) {
                List<String> items = new ArrayList<>();
                for (Object item : array) {
                    if (item == null || item instanceof JsonObject || item instanceof JsonArray) {
                        throw new IllegalArgumentException("item '" + item + "' is not an address or CIDR");
                    }
                    items.add(item.toString());
                }
                return HostList.of(items);
            }
            if (v instanceof JsonObject) {
                throw new IllegalArgumentException("expected a host-list string or a list, got a section");
            }
            return HostList.parse(v.toString());
        };
    }

    static ConfigKey.Parser<List<DnsServer>> dnsServers() {
        return v -> {
            List<String> items = new ArrayList<>();
            if (v instanceof JsonArray array) {
                array.forEach(item -> items.add(String.valueOf(item)));
            } else {
                for (String item : scalar(v).split("[,\\s]+")) {
                    if (!item.isEmpty()) {
                        items.add(item);
                    }
                }
            }
            List<DnsServer> servers = new ArrayList<>();
            for (String item : items) {
                servers.add(dnsServer(item.trim()));
            }
            return List.copyOf(servers);
        };
    }

    private static DnsServer dnsServer(String item) {
        String host = item;
        int port = 53;
        if (item.startsWith("[")) {
            int close = item.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + item + "' has no closing ']'");
            }
            host = item.substring(1, close);
            String rest = item.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("'" + item + "' must be [ipv6]:port");
                }
                port = port(item, rest.substring(1));
            }
        } else if (item.indexOf(':') >= 0 && item.indexOf(':') == item.lastIndexOf(':')) {
            host = item.substring(0, item.indexOf(':'));
            port = port(item, item.substring(item.indexOf(':') + 1));
        }
        if (IpAddresses.parse(host) == null) {
            throw new IllegalArgumentException("'" + item
                + "' is not an IP address (write 192.0.2.53, 192.0.2.53:5353 or [2001:db8::53]:53)");
        }
        return new DnsServer(IpAddresses.format(IpAddresses.parse(host)), port);
    }

    private static int port(String item, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("'" + item + "' has a bad port '" + text + "'");
    }
}
