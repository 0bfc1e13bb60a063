package io.smtpsidecar.deploy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.smtpsidecar.SidecarApp;
import io.smtpsidecar.metrics.SidecarMetrics;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series the product exports, as a scrape of its own registry shows them (the product's meters, one listener
 * with TLS, and the JVM and process binders the sidecar binds), and the names the README's metrics table
 * promises; plus the metric and label names a PromQL expression uses, for checking dashboards and alerts
 * against both.
 */
final class ProductMetrics {
    /** Labels Prometheus adds to every series of a Kubernetes target (ServiceMonitor, PodMonitor). */
    static final Set<String> TARGET_LABELS = Set.of("namespace", "pod", "container", "service", "endpoint", "job",
        "instance");

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
    private static final Pattern IDENT = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Set<String> PROMQL_WORDS = Set.of("sum", "min", "max", "avg", "count", "stddev", "topk",
        "bottomk", "quantile", "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
        "unless", "bool", "offset", "rate", "irate", "increase", "delta", "idelta", "deriv", "histogram_quantile",
        "abs", "clamp_min", "clamp_max", "absent", "label_values", "time", "vector", "scalar", "inf", "nan");

    private ProductMetrics() {
    }

    /** Metric name (as scraped: counters with _total, histograms as _bucket/_sum/_count) to its label names. */
    static Map<String, Set<String>> scraped() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Vertx vertx = SidecarApp.newVertx(registry);
        try {
            SidecarMetrics metrics = new SidecarMetrics(registry);
            metrics.transport("nio");
            metrics.listener("smtp").tlsEnabled();
            // the GC timer is registered at the first collection the JVM reports, as in a running sidecar
            String scrape = registry.scrape();
            for (int i = 0; i < 50 && !scrape.contains("jvm_gc_pause_seconds_count"); i++) {
                System.gc();
                Thread.sleep(100);
                scrape = registry.scrape();
            }
            Map<String, Set<String>> series = new TreeMap<>();
            for (String line : scrape.lines().toList()) {
                Matcher m = SAMPLE.matcher(line);
                if (line.startsWith("#") || !m.find()) {
                    continue;
                }
                Set<String> labels = series.computeIfAbsent(m.group(1), k -> new TreeSet<>());
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    while (l.find()) {
                        labels.add(l.group(1));
                    }
                }
            }
            return series;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            vertx.close().await();
        }
    }

    /** The smtp_sidecar_* names of the README's metrics table (first column). */
    static Set<String> readmeNames() throws Exception {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `(smtp_sidecar_[a-z_]+)` \\|")
            .matcher(Files.readString(Manifests.repo().resolve("README.md")));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** A metric name as the README lists it: histogram series without _bucket, _sum and _count. */
    static String readmeName(String scrapedName) {
        return scrapedName.replaceFirst("_(bucket|sum|count)$", "");
    }

    /** What a PromQL expression selects: metric names with the label names used with each. */
    record Use(Map<String, Set<String>> metrics, Set<String> groupingLabels) {
    }

    /**
     * The metric names of a PromQL expression (or of a Grafana variable query such as label_values(m, l)), each
     * with the label names its selector matches on, and the labels of its by/on/without clauses. Enough for the
     * expressions of this chart: string literals are dropped first, so no label value is taken for a name.
     */
    static Use parse(String expr) {
        Map<String, Set<String>> metrics = new TreeMap<>();
        Set<String> grouping = new LinkedHashSet<>();
        String text = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"").replaceAll("\\[[^\\]]*]", "");
        Matcher clause = Pattern.compile("\\b(by|on|without|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)")
            .matcher(text);
        StringBuilder rest = new StringBuilder();
        while (clause.find()) {
            for (String l : clause.group(2).split(",")) {
                if (!l.isBlank()) {
                    grouping.add(l.strip());
                }
            }
            clause.appendReplacement(rest, " ");
        }
        clause.appendTail(rest);
        text = rest.toString();
        Matcher labelValues = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*(\\{[^}]*})?\\s*,\\s*"
            + "([a-zA-Z_][a-zA-Z0-9_]*)\\s*\\)").matcher(text);
        StringBuilder withoutLabelValues = new StringBuilder();
        while (labelValues.find()) {
            Set<String> labels = metrics.computeIfAbsent(labelValues.group(1), k -> new TreeSet<>());
            labels.add(labelValues.group(3));
            // its selector, if any, stays for the matcher scan below
            labelValues.appendReplacement(withoutLabelValues,
                Matcher.quoteReplacement(labelValues.group(2) == null ? " " : labelValues.group(1) + labelValues.group(2)));
        }
        labelValues.appendTail(withoutLabelValues);
        text = withoutLabelValues.toString();
        Matcher selector = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)?\\s*\\{([^}]*)}").matcher(text);
        StringBuilder bare = new StringBuilder();
        while (selector.find()) {
            if (selector.group(1) != null && !PROMQL_WORDS.contains(selector.group(1))) {
                Set<String> labels = metrics.computeIfAbsent(selector.group(1), k -> new TreeSet<>());
                Matcher l = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)").matcher(selector.group(2));
                while (l.find()) {
                    labels.add(l.group(1));
                }
            }
            selector.appendReplacement(bare, " ");
        }
        selector.appendTail(bare);
        // what is left: function names, keywords, numbers and bare metric names (a selector without braces)
        String left = bare.toString().replaceAll("\\$__[a-z_]+|\\$[a-z_]+", " ");
        Matcher ident = IDENT.matcher(left);
        while (ident.find()) {
            String word = ident.group();
            boolean number = ident.start() > 0 && Character.isDigit(left.charAt(ident.start() - 1));
            if (!PROMQL_WORDS.contains(word) && !number) {
                metrics.computeIfAbsent(word, k -> new TreeSet<>());
            }
        }
        return new Use(metrics, grouping);
    }

    /** Metrics from outside the product that the alerts may use, with their labels. */
    static final Map<String, Set<String>> EXTERNAL = Map.of(
        "up", Set.of(),
        "kube_pod_status_ready", Set.of("condition"));

    /**
     * Every metric of the expression is one the product exports (or an EXTERNAL one), and every label it matches
     * on or groups by is one of that metric's, or a target label. Returns the problems, empty when none.
     */
    static List<String> problems(String expr, Map<String, Set<String>> scraped) {
        Use use = parse(expr);
        List<String> problems = new java.util.ArrayList<>();
        Set<String> allLabels = new TreeSet<>(TARGET_LABELS);
        for (Map.Entry<String, Set<String>> m : use.metrics().entrySet()) {
            Set<String> known = scraped.containsKey(m.getKey()) ? scraped.get(m.getKey()) : EXTERNAL.get(m.getKey());
            if (known == null) {
                problems.add("unknown metric " + m.getKey());
                continue;
            }
            allLabels.addAll(known);
            for (String label : m.getValue()) {
                if (!known.contains(label) && !TARGET_LABELS.contains(label)) {
                    problems.add(m.getKey() + " has no label " + label);
                }
            }
        }
        for (String label : use.groupingLabels()) {
            if (!allLabels.contains(label)) {
                problems.add("no metric of the expression has the label " + label);
            }
        }
        if (use.metrics().isEmpty()) {
            problems.add("no metric");
        }
        return problems;
    }
}
