package io.smtpsidecar.deploy;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;

/**
 * The subset of Dockerfile syntax this repository uses: build arguments declared before the first FROM (their
 * defaults substituted into FROM), stages, instructions with {@code \} continuations, comments, and exec-form
 * (JSON) ENTRYPOINT/CMD. Enough to check the file without a Docker engine.
 */
record Dockerfile(Map<String, String> args, List<Stage> stages) {

    record Instruction(String keyword, String args) {
        /**
         * Exec form ({@code ["a", "b"]}), after any {@code --flag=value} options, as a list; shell form is refused,
         * it would need /bin/sh in the image.
         */
        List<String> execForm() {
            String command = args.substring(String.join(" ", options()).length()).strip();
            if (!command.startsWith("[")) {
                throw new AssertionError(keyword + " is not in exec form: " + args);
            }
            return new JsonArray(command).stream().map(String.class::cast).toList();
        }

        /** The leading {@code --flag=value} options ({@code RUN --mount=...}). */
        List<String> options() {
            List<String> options = new ArrayList<>();
            for (String word : args.split("\\s+")) {
                if (!word.startsWith("--")) {
                    break;
                }
                options.add(word);
            }
            return options;
        }
    }

    /** {@code base} as written ({@code ${JDK_IMAGE}}); {@link #baseDefault} with the arguments' defaults. */
    record Stage(String base, String baseDefault, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        /** The last one counts, as in Docker. */
        Optional<Instruction> last(String keyword) {
            List<Instruction> found = all(keyword);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
        }
    }

    static Dockerfile parse(Path file) throws IOException {
        Map<String, String> args = new LinkedHashMap<>();
        List<Stage> stages = new ArrayList<>();
        List<Instruction> current = null;
        StringBuilder pending = new StringBuilder();
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.startsWith("#") || (line.isEmpty() && pending.isEmpty())) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            String text = pending.append(line).toString().strip();
            pending.setLength(0);
            int space = text.indexOf(' ');
            String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
            String rest = space < 0 ? "" : text.substring(space + 1).strip();
            if (keyword.equals("FROM")) {
                String[] parts = rest.split("\\s+");
                String name = parts.length == 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null;
                current = new ArrayList<>();
                String base = parts[0];
                for (Map.Entry<String, String> arg : args.entrySet()) {
                    base = base.replace("${" + arg.getKey() + "}", arg.getValue());
                }
                stages.add(new Stage(parts[0], base, name, current));
            } else if (current == null && keyword.equals("ARG")) {
                String[] kv = rest.split("=", 2);
                args.put(kv[0], kv.length == 2 ? kv[1] : "");
            } else if (current == null) {
                throw new AssertionError(file + ": " + keyword + " before FROM");
            } else {
                current.add(new Instruction(keyword, rest));
            }
        }
        return new Dockerfile(Map.copyOf(args), List.copyOf(stages));
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
            .orElseThrow(() -> new AssertionError("no stage " + name));
    }

    /** The {@code COPY --from=<stage> <source> <destination>} instructions of a stage, each as {source, destination}. */
    static List<String[]> copiesFrom(Stage stage, String from) {
        String option = "--from=" + from + " ";
        return stage.all("COPY").stream()
            .map(Instruction::args)
            .filter(a -> a.startsWith(option))
            .map(a -> {
                String[] parts = a.substring(option.length()).strip().split("\\s+");
                if (parts.length != 2) {
                    throw new AssertionError("COPY " + a + ": expected one source and one destination");
                }
                return parts;
            })
            .toList();
    }

    /** The RUN that trains the AOT cache (it runs scripts/aot-train.sh) and the stage it is in. */
    Map.Entry<Stage, Instruction> training() {
        for (Stage stage : stages) {
            for (Instruction run : stage.all("RUN")) {
                if (run.args().contains("aot-train.sh")) {
                    return Map.entry(stage, run);
                }
            }
        }
        throw new AssertionError("no RUN trains the AOT cache");
    }

    /** The {@code --mount=type=bind,source=...,target=...} option of a RUN as a map. */
    static Map<String, String> mount(Instruction run) {
        String option = run.options().stream().filter(o -> o.startsWith("--mount="))
            .findFirst().orElseThrow(() -> new AssertionError("RUN " + run.args() + ": no --mount"));
        Map<String, String> fields = new LinkedHashMap<>();
        for (String field : option.substring("--mount=".length()).split(",")) {
            String[] kv = field.split("=", 2);
            fields.put(kv[0], kv.length == 2 ? kv[1] : "");
        }
        return fields;
    }

    /** The image that is run: the last stage. */
    Stage runtime() {
        return stages.get(stages.size() - 1);
    }
}
