package io.smtpsidecar.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Renders the effective configuration as YAML that the loader accepts again ({@code --check-config}): every key of
 * {@link ConfigKeys} with its value (an unset {@code smtp.banner} is left out: it follows the host name), and each
 * listener with what it sets itself.
 */
public final class ConfigPrinter {
    private ConfigPrinter() {
    }

    public static String toYaml(SidecarConfig c) {
        boolean singlePort = c.singlePortForm();
        Map<String, Object> root = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            Object value = c.values().get(key);
            if (key == ConfigKeys.LISTEN_PORT && !singlePort) {
                continue;
            }
            // an unset banner stays unset: it follows each listener's smtp.hostname
            put(root, key, value);
        }
        if (!singlePort) {
            List<Map<String, Object>> listeners = new ArrayList<>();
            for (SidecarConfig.Listener l : c.listeners()) {
                Map<String, Object> item = new LinkedHashMap<>();
                item.put("name", l.name());
                if (l.spec().host() != null) {
                    item.put("host", l.spec().host());
                }
                item.put("port", l.port());
                for (ConfigKey<?> key : l.spec().settings().keys()) {
                    put(item, key, l.spec().settings().get(key));
                }
                listeners.add(item);
            }
            root.put(ConfigKeys.LISTENERS, listeners);
        }
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(root);
    }

    @SuppressWarnings("unchecked")
    private static void put(Map<String, Object> root, ConfigKey<?> key, Object value) {
        Object printed = key.print(value);
        if (printed == null) {
            return;
        }
        Map<String, Object> section = (Map<String, Object>) root.computeIfAbsent(key.section(),
            s -> new LinkedHashMap<>());
        section.put(key.name(), printed instanceof List<?> l ? List.copyOf(l) : printed);
    }
}
