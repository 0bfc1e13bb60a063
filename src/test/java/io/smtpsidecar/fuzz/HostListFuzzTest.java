package io.smtpsidecar.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.hosts.HostList;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Exim-style host lists.
 *
 * <ul>
 *   <li>{@code parse} and {@code of} throw nothing but {@link IllegalArgumentException}, on fuzzer text and on lists
 *       built item by item.</li>
 *   <li>{@code parse(list.toString())} gives an equal list with the same text, matching exactly the same peers as
 *       the original (IPv4, IPv6, IPv4-mapped IPv6, and addresses next to each item's network).</li>
 *   <li>For lists built from known-valid items, matching agrees with a model of the documented rules: first item
 *       that covers the peer decides, a trailing negated item means "and then everything".</li>
 * </ul>
 */
class HostListFuzzTest {
    private static final String[] JUNK = {"", " ", "!", "!!", "*", "@", "@[]", "+list", "^re", "$x", "a;b", "/",
        "/8", "::", ":::", "host.example", "*.example", "1.2.3", "01.2.3.4", "1.2.3.4/33", "::1/129", "1.2.3.4/-1",
        "1.2.3.4/08", "1.2.3.4/999999999999", "<", "<;", " ;", "\t", "\u00a0", "\u0660", "1.2.3.4/ 8", "[::1]"};

    /** One generated item: {@code network == null} is {@code *}. */
    private record Item(boolean negated, byte[] network, int prefix) {
    }

    @FuzzTest
    void roundTrip(FuzzedDataProvider data) {
        int mode = data.consumeInt(0, 2);
        List<byte[]> peers = new ArrayList<>();
        for (int i = data.consumeInt(0, 4); i > 0; i--) {
            byte[] peer = data.consumeBytes(data.consumeBoolean() ? 4 : 16);
            if (peer.length == 4 || peer.length == 16) {
                peers.add(peer);
            }
        }
        if (mode == 0) {
            String text = data.consumeRemainingAsString();
            HostList list;
            try {
                list = HostList.parse(text);
            } catch (IllegalArgumentException e) {
                assertThat(e.getMessage()).isNotBlank();
                return;
            }
            checkRoundTrip(list, peers, null);
            return;
        }
        // structured: valid items (so the model applies) with now and then a junk one
        List<Item> items = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        boolean junk = false;
        for (int n = data.consumeInt(0, 6); n > 0; n--) {
            int kind = data.consumeInt(0, 9);
            if (kind == 0) {
                junk = true;
                texts.add(data.consumeBoolean() ? JUNK[data.consumeInt(0, JUNK.length - 1)] : data.consumeString(12));
                continue;
            }
            boolean negated = data.consumeBoolean();
            String sign = negated ? (data.consumeBoolean() ? "!" : "! ") : "";
            if (kind == 1) {
                items.add(new Item(negated, null, 0));
                texts.add(sign + "*");
                continue;
            }
            boolean v6 = kind >= 6;
            byte[] address = data.consumeBytes(v6 ? 16 : 4);
            if (address.length != (v6 ? 16 : 4)) {
                continue;
            }
            int bits = address.length * 8;
            boolean cidr = data.consumeBoolean();
            int prefix = cidr ? data.consumeInt(0, bits) : bits;
            String addressText = v6 && data.consumeBoolean()
                    ? full(address) : IpAddresses.format(IpAddresses.toAddress(address));
            if (v6 && IpAddresses.toAddress(address) instanceof Inet4Address) {
                String dotted = (address[12] & 0xFF) + "." + (address[13] & 0xFF) + "." + (address[14] & 0xFF)
                        + "." + (address[15] & 0xFF);
                addressText = data.consumeBoolean() ? "::ffff:" + dotted : full(address);
            }
            items.add(new Item(negated, address, prefix));
            texts.add(sign + addressText + (cidr ? "/" + prefix : ""));
        }
        for (Item item : items) {
            if (item.network != null) {
                peers.add(item.network.clone());
                byte[] flipped = item.network.clone();
                int bit = Math.max(0, Math.min(item.prefix, flipped.length * 8) - 1);
                flipped[bit / 8] ^= (byte) (0x80 >>> (bit % 8));
                peers.add(flipped);
            }
        }
        HostList list;
        try {
            if (mode == 1) {
                list = HostList.of(texts);
            } else {
                StringBuilder sb = new StringBuilder();
                for (String t : texts) {
                    if (sb.length() > 0) {
                        sb.append(" : ");
                    }
                    sb.append(t.replace(":", "::")); // a colon list doubles the colons of its items
                }
                list = HostList.parse(sb.toString());
            }
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
            assertThat(junk).as("valid items %s refused: %s", texts, e.getMessage()).isTrue();
            return;
        }
        checkRoundTrip(list, peers, junk ? null : items);
    }

    private static void checkRoundTrip(HostList list, List<byte[]> peers, List<Item> model) {
        String printed = list.toString();
        HostList again = HostList.parse(printed);
        assertThat(again).as("parse(%s)", printed).isEqualTo(list);
        assertThat(again.toString()).isEqualTo(printed);
        for (byte[] raw : peers) {
            List<InetAddress> forms = new ArrayList<>();
            forms.add(IpAddresses.toAddress(raw));
            if (raw.length == 4) {
                forms.add(mapped(raw));
            }
            for (InetAddress peer : forms) {
                boolean matches = list.matches(peer);
                assertThat(again.matches(peer)).as("%s on %s", printed, peer).isEqualTo(matches);
                if (model != null) {
                    assertThat(matches).as("model: %s on %s", printed, peer).isEqualTo(model(model, peer));
                }
            }
        }
    }

    /** An IPv6 socket address for an IPv4 peer, as a dual-stack socket may report it (not canonicalised). */
    private static InetAddress mapped(byte[] v4) {
        byte[] b = new byte[16];
        b[10] = (byte) 0xFF;
        b[11] = (byte) 0xFF;
        System.arraycopy(v4, 0, b, 12, 4);
        try {
            return java.net.Inet6Address.getByAddress(null, b, -1);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static boolean model(List<Item> items, InetAddress peer) {
        byte[] p = peer.getAddress();
        if (p.length == 16 && isMapped(p)) {
            p = new byte[] {p[12], p[13], p[14], p[15]};
        }
        for (Item item : items) {
            if (covers(item, p)) {
                return !item.negated;
            }
        }
        return !items.isEmpty() && items.get(items.size() - 1).negated;
    }

    private static boolean covers(Item item, byte[] peer) {
        if (item.network == null) {
            return true;
        }
        byte[] network = item.network;
        int prefix = item.prefix;
        if (network.length == 16 && isMapped(network) && prefix >= 96) {
            network = new byte[] {network[12], network[13], network[14], network[15]};
            prefix -= 96;
        }
        if (network.length != peer.length) {
            return false;
        }
        for (int bit = 0; bit < prefix; bit++) {
            int mask = 0x80 >>> (bit % 8);
            if ((network[bit / 8] & mask) != (peer[bit / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }

    /** Uncompressed IPv6 text, e.g. 0:0:0:0:0:ffff:c000:201. */
    private static String full(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 16; i += 2) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF)));
        }
        return sb.toString();
    }
}
