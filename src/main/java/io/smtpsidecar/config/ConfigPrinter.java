package io.smtpsidecar.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/** Renders the effective configuration as YAML that the loader accepts again ({@code --check-config}). */
public final class ConfigPrinter {
    private ConfigPrinter() {
    }

    public static String toYaml(SidecarConfig c) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("listen", section("host", c.listen().host(), "port", c.listen().port(),
            "eventLoops", c.listen().eventLoops(),
            "transport", c.listen().transport().label()));
        root.put("proxy", section(
            "requiredHosts", c.proxy().requiredHosts().toString(),
            "headerTimeout", Durations.format(c.proxy().headerTimeout()),
            "maxHeaderBytes", c.proxy().maxHeaderBytes(),
            "rejectSources", c.proxy().rejectSources().toString(),
            "rejectOwnAddress", c.proxy().rejectOwnAddress()));
        root.put("backend", section(
            "host", c.backend().host(),
            "port", c.backend().port(),
            "connectTimeout", Durations.format(c.backend().connectTimeout()),
            "greetingTimeout", Durations.format(c.backend().greetingTimeout()),
            "handshake", c.backend().handshake().label(),
            "warmConnections", c.backend().warmConnections(),
            "warmMaxIdle", Durations.format(c.backend().warmMaxIdle())));
        root.put("smtp", section(
            "hostname", c.smtp().hostname(),
            "banner", c.smtp().banner(),
            "refusalMaxCommands", c.smtp().refusalMaxCommands(),
            "refusalIdleTimeout", Durations.format(c.smtp().refusalIdleTimeout()),
            "halfCloseTimeout", Durations.format(c.smtp().halfCloseTimeout())));
        root.put("dns", section(
            "reverseLookup", c.dns().reverseLookup(),
            "servers", c.dns().servers().stream().map(Object::toString).toList(),
            "timeout", Durations.format(c.dns().timeout()),
            "cacheSize", c.dns().cacheSize(),
            "cacheTtl", Durations.format(c.dns().cacheTtl())));
        root.put("limits", section(
            "maxConnections", c.limits().maxConnections(),
            "maxConnectionsPerClient", c.limits().maxConnectionsPerClient(),
            "connectionRatePerClient", c.limits().connectionRatePerClient(),
            "maxTrackedClients", c.limits().maxTrackedClients()));
        root.put("metrics", section("host", c.metrics().host(), "port", c.metrics().port()));
        root.put("health", section("backendCheckInterval", Durations.format(c.health().backendCheckInterval())));
        root.put("shutdown", section("drainTimeout", Durations.format(c.shutdown().drainTimeout())));
        root.put("config", section("scanPeriod", Durations.format(c.watch().scanPeriod())));
        root.put("log", section("format", c.log().name().toLowerCase()));
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(root);
    }

    private static Map<String, Object> section(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            Object v = keyValues[i + 1];
            m.put((String) keyValues[i], v instanceof List<?> l ? List.copyOf(l) : v);
        }
        return m;
    }
}
