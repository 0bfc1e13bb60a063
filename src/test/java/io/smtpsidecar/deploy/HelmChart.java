package io.smtpsidecar.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * helm/smtp-sidecar driven through helm-java, which runs Helm's own Go library in-process (no helm binary).
 * Values are given as YAML texts, the way an operator writes a -f file.
 */
final class HelmChart {
    static final Path DIR = Manifests.repo().resolve("helm/smtp-sidecar");
    static final String RELEASE = "mx";
    static final String NAMESPACE = "mail";
    /**
     * Without it Helm's library assumes Kubernetes 1.20 and refuses the chart's kubeVersion (the helm binary
     * assumes the version it was built with).
     */
    static final String KUBE_VERSION = "1.32.0";

    private final Path scratch;
    private int files;

    HelmChart(Path scratch) {
        this.scratch = scratch;
    }

    Path valuesFile(String yaml) throws IOException {
        Path file = scratch.resolve("values-" + (++files) + ".yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** helm template with these -f files, in order; throws IllegalStateException with Helm's message on failure. */
    String template(Path... valuesFiles) {
        return template(DIR, KUBE_VERSION, valuesFiles);
    }

    /** helm template of a chart directory (this one, or another that has it as a dependency) for a Kubernetes version. */
    static String template(Path chartDir, String kubeVersion, Path... valuesFiles) {
        TemplateCommand command = new Helm(chartDir).template().withName(RELEASE).withNamespace(NAMESPACE)
            .withKubeVersion(kubeVersion);
        for (Path f : valuesFiles) {
            command = command.withValuesFile(f);
        }
        return command.call();
    }

    List<Map<String, Object>> render(String... valuesYaml) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (String yaml : valuesYaml) {
            paths.add(valuesFile(yaml));
        }
        return Manifests.documents(template(paths.toArray(Path[]::new)));
    }

    List<Map<String, Object>> render(Path valuesFile) {
        return Manifests.documents(template(valuesFile));
    }

    /** The NOTES.txt an install would print (a client-only dry run: no cluster involved). */
    String notes(String valuesYaml) throws IOException {
        InstallCommand install = new Helm(DIR).install().withName(RELEASE).withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION).clientOnly().dryRun().withValuesFile(valuesFile(valuesYaml));
        String output = install.call().getOutput();
        int notes = output.indexOf("NOTES:");
        return notes < 0 ? "" : output.substring(notes);
    }

    /**
     * helm lint --strict with a values file. helm-java's lint takes no -f, so the chart is copied and its
     * values.yaml replaced by the defaults merged with the file, as Helm merges them (maps merge, null deletes).
     */
    LintResult lint(Path valuesFile) throws IOException {
        Path copy = scratch.resolve("chart-" + (++files)).resolve(DIR.getFileName());
        try (Stream<Path> walk = Files.walk(DIR)) {
            for (Path source : walk.toList()) {
                Path target = copy.resolve(DIR.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        if (valuesFile != null) {
            Map<String, Object> merged = merge(Manifests.document(DIR.resolve("values.yaml")),
                Manifests.document(valuesFile));
            DumperOptions options = new DumperOptions();
            options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
            Files.writeString(copy.resolve("values.yaml"), new Yaml(options).dump(merged));
        }
        return new Helm(copy).lint().strict().call();
    }

    static LintResult lintDefaults() {
        return new Helm(DIR).lint().strict().call();
    }

    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> result = new LinkedHashMap<>(base);
        for (Map.Entry<String, Object> e : override.entrySet()) {
            Object current = result.get(e.getKey());
            if (e.getValue() == null) {
                result.remove(e.getKey());
            } else if (current instanceof Map<?, ?> && e.getValue() instanceof Map<?, ?>) {
                result.put(e.getKey(), merge(Manifests.asMap(current), Manifests.asMap(e.getValue())));
            } else {
                result.put(e.getKey(), e.getValue());
            }
        }
        return result;
    }

    /** The resource names the chart gives: the release name plus the chart name. */
    static String fullname() {
        return RELEASE + "-smtp-sidecar";
    }
}
