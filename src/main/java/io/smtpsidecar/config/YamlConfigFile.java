package io.smtpsidecar.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.StringReader;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The configuration file's text as the JSON tree {@link ConfigReader} reads. Stricter than vertx-config's YAML
 * format, which lets the later of two equal keys win (a second {@code proxy:} section silently drops
 * {@code requiredHosts}) and runs an empty file on defaults. Pure: no I/O.
 */
public final class YamlConfigFile {
    private YamlConfigFile() {
    }

    /** @throws ConfigFileException saying what is wrong, with the line where there is one */
    public static JsonObject parse(String text) {
        if (text.isBlank()) {
            throw new ConfigFileException("the file is empty");
        }
        Constructor constructor = new Constructor();
        try {
            Node root = new Yaml(constructor).compose(new StringReader(text));
            MappingNode sections = topLevel(root);
            rejectDuplicateKeys(sections, "", Collections.newSetFromMap(new IdentityHashMap<>()));
            return (JsonObject) json(constructor.construct(sections));
        } catch (MarkedYAMLException e) {
            throw new ConfigFileException(oneLine(e));
        } catch (YAMLException e) {
            throw new ConfigFileException(e.getMessage());
        }
    }

    private static MappingNode topLevel(Node root) {
        if (root == null) {
            throw new ConfigFileException("the file holds no settings (only comments)");
        }
        if (!(root instanceof MappingNode sections)) {
            throw new ConfigFileException("the top level must be a mapping of sections, found " + describe(root));
        }
        if (sections.getValue().isEmpty()) {
            throw new ConfigFileException("the file holds no settings (an empty mapping)");
        }
        return sections;
    }

    private static String describe(Node node) {
        if (node instanceof SequenceNode) {
            return "a list";
        }
        if (node.getTag().equals(Tag.NULL)) {
            return "an empty value";
        }
        return "the single value '" + ((ScalarNode) node).getValue() + "'";
    }

    /**
     * SnakeYAML would name only the repeated key's last part; this names its whole path and both lines. An alias
     * that contains itself is refused here too: the JSON tree would never end.
     */
    private static void rejectDuplicateKeys(Node node, String path, Set<Node> enclosing) {
        if (!enclosing.add(node)) {
            throw new ConfigFileException(path + " on line " + line(node) + " contains itself (a recursive alias)");
        }
        if (node instanceof MappingNode mapping) {
            Map<String, Node> keys = new HashMap<>();
            for (NodeTuple entry : mapping.getValue()) {
                Node keyNode = entry.getKeyNode();
                String key = keyNode instanceof ScalarNode scalar ? scalar.getValue() : "?";
                String keyPath = path.isEmpty() ? key : path + "." + key;
                Node first = keyNode instanceof ScalarNode ? keys.putIfAbsent(key, keyNode) : null;
                if (first != null) {
                    throw new ConfigFileException("duplicate key " + keyPath + " on line " + line(keyNode)
                        + " (first on line " + line(first) + ")");
                }
                rejectDuplicateKeys(entry.getValueNode(), keyPath, enclosing);
            }
        } else if (node instanceof SequenceNode sequence) {
            List<Node> items = sequence.getValue();
            for (int i = 0; i < items.size(); i++) {
                rejectDuplicateKeys(items.get(i), path + "[" + i + "]", enclosing);
            }
        }
        enclosing.remove(node);
    }

    private static int line(Node node) {
        return node.getStartMark().getLine() + 1;
    }

    /** SnakeYAML's message spans several lines with a snippet; an operator needs the line and the problem. */
    private static String oneLine(MarkedYAMLException e) {
        StringBuilder s = new StringBuilder();
        Mark at = e.getProblemMark();
        if (at != null) {
            s.append("line ").append(at.getLine() + 1).append(", column ").append(at.getColumn() + 1).append(": ");
        }
        s.append(e.getProblem());
        if (e.getContext() != null) {
            s.append(" (").append(e.getContext());
            if (e.getContextMark() != null) {
                s.append(" from line ").append(e.getContextMark().getLine() + 1);
            }
            s.append(')');
        }
        return s.toString().replaceAll("\\s+", " ").strip();
    }

    /** Keys become strings, as JSON needs; YAML timestamps become instants, which JSON objects can hold. */
    private static Object json(Object value) {
        if (value instanceof Map<?, ?> map) {
            JsonObject object = new JsonObject();
            map.forEach((k, v) -> object.put(String.valueOf(k), json(v)));
            return object;
        }
        if (value instanceof Collection<?> items) {
            JsonArray array = new JsonArray();
            items.forEach(item -> array.add(json(item)));
            return array;
        }
        if (value instanceof Date date) {
            return date.toInstant();
        }
        return value;
    }

    /** SnakeYAML's safe types, built from the node tree that was checked rather than from a second parse. */
    private static final class Constructor extends SafeConstructor {
        Constructor() {
            super(options());
        }

        Object construct(Node node) {
            return constructDocument(node);
        }

        private static LoaderOptions options() {
            LoaderOptions options = new LoaderOptions();
            // keys that differ in text but not in value (1 and 0x1) are caught here, as the check above compares text
            options.setAllowDuplicateKeys(false);
            return options;
        }
    }
}
