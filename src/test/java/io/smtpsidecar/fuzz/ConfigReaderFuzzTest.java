package io.smtpsidecar.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.smtpsidecar.config.ConfigException;
import io.smtpsidecar.config.ConfigKeys;
import io.smtpsidecar.config.ConfigPrinter;
import io.smtpsidecar.config.ConfigReader;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.config.YamlConfigFile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration loader on fuzzer-built files (known keys, near-miss and junk keys, strings, numbers, booleans,
 * nulls, lists, sections) and {@code SIDECAR_*} environments.
 *
 * <ul>
 *   <li>Only {@link ConfigException} is thrown, and its message starts with its key and ": ".</li>
 *   <li>A configuration that loads prints ({@code --check-config}) as YAML that, parsed by
 *       {@link YamlConfigFile} as the loader does and read again without any environment, gives the same
 *       configuration and the same printout.</li>
 * </ul>
 */
class ConfigReaderFuzzTest {
    private static final List<String> EXTRA_KEYS = List.of("listen", "proxy", "backend", "smtp", "dns", "limits",
        "metrics", "health", "shutdown", "config", "log", "listen.hosts", "proxy.requiredhosts", "foo", "",
        "proxy.requiredHosts.x", ".", "listen.", "SIDECAR_LISTEN_PORT");
    private static final List<String> STRINGS = List.of("", " ", "0", "1", "-1", "25", "0025", "65535", "65536",
        "2147483648", "9223372036854775808", "1e3", "0x19", "true", "false", "yes", "off", "TRUE", "null", "~",
        "1ms", "0s", "3s", "2m", "1h", "61m", "3600s", "3600001ms", "999999999h", "1.5s", " 5s ", "s",
        "127.0.0.1", "::1", "[::1]", "[::1]:53", "[::1]:", "192.0.2.53:5353", "1.2.3.4:0", "1.2.3.4:65536",
        "1.2.3.4, 5.6.7.8", "::ffff:1.2.3.4", "localhost", "mx.example.org", "-bad-.example", "a..b",
        "exa mple", "10.0.0.0/8", "<; ::1 ; 10.0.0.0/8", "10.0.0.0/8 : ::::1", "!*", "*", "host.example",
        "xclient", "XCLIENT", "proxy-v1", "proxy-v2", "none", "json", "TEXT", "\u00e9", "a: b", "# x", "'",
        "\"", "- x", "{}", "[]", "a\nb", "\t", "x".repeat(401));

    @FuzzTest
    void read(FuzzedDataProvider data) {
        JsonObject file = new JsonObject();
        for (int n = data.consumeInt(0, 8); n > 0; n--) {
            String key = data.consumeInt(0, 4) > 0
                    ? ConfigKeys.PATHS.get(data.consumeInt(0, ConfigKeys.PATHS.size() - 1))
                    : data.consumeBoolean() ? EXTRA_KEYS.get(data.consumeInt(0, EXTRA_KEYS.size() - 1))
                    : data.consumeString(10);
            ConfigKeys.put(file, key, value(data, 2));
        }
        Map<String, String> env = new HashMap<>();
        for (int n = data.consumeInt(0, 3); n > 0; n--) {
            String name;
            if (data.consumeInt(0, 3) > 0) {
                List<String> names = ConfigKeys.envNames(ConfigKeys.ALL.get(data.consumeInt(0,
                        ConfigKeys.ALL.size() - 1)));
                name = names.get(data.consumeInt(0, names.size() - 1));
            } else {
                name = ConfigKeys.ENV_PREFIX + data.consumeString(8);
            }
            env.put(name, string(data));
        }
        String machineHostname = data.consumeBoolean() ? "mx.example.org" : string(data);

        SidecarConfig config;
        try {
            config = ConfigReader.read(file, env, machineHostname);
        } catch (ConfigException e) {
            assertThat(e.getMessage()).startsWith(e.key() + ": ");
            return;
        }
        String printed = ConfigPrinter.toYaml(config);
        JsonObject reloaded = YamlConfigFile.parse(printed);
        SidecarConfig again;
        try {
            again = ConfigReader.read(reloaded, Map.of(), "other.example");
        } catch (ConfigException e) {
            throw new AssertionError("printed configuration does not load again: " + e.getMessage() + "\n"
                    + printed, e);
        }
        assertThat(ConfigPrinter.toYaml(again)).isEqualTo(printed);
        assertThat(again).isEqualTo(config);
    }

    private static Object value(FuzzedDataProvider data, int depth) {
        return switch (data.consumeInt(0, depth > 0 ? 9 : 7)) {
            case 0, 1, 2 -> string(data);
            case 3 -> data.consumeInt(-2, 70_000);
            case 4 -> data.consumeLong();
            case 5 -> data.consumeBoolean();
            case 6 -> data.consumeBoolean() ? null : data.consumeDouble();
            case 7 -> data.consumeBoolean() ? new JsonArray() : new JsonObject();
            case 8 -> {
                JsonArray array = new JsonArray();
                for (int n = data.consumeInt(0, 4); n > 0; n--) {
                    array.add(value(data, depth - 1));
                }
                yield array;
            }
            default -> {
                JsonObject obj = new JsonObject();
                for (int n = data.consumeInt(0, 3); n > 0; n--) {
                    obj.put(data.consumeBoolean() ? "host" : data.consumeString(6), value(data, depth - 1));
                }
                yield obj;
            }
        };
    }

    private static String string(FuzzedDataProvider data) {
        return data.consumeBoolean() ? STRINGS.get(data.consumeInt(0, STRINGS.size() - 1)) : data.consumeString(24);
    }
}
