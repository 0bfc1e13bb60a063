package io.smtpsidecar.deploy;

import static io.smtpsidecar.deploy.Manifests.get;
import static io.smtpsidecar.deploy.Manifests.map;
import static io.smtpsidecar.deploy.Manifests.only;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard of the chart (files/dashboard.json). No Grafana runs here, so its structure is checked
 * as Grafana's dashboard model has it (schemaVersion, uid, panels with id, type, gridPos inside 24 columns and
 * not overlapping, a data source on every query), and every query against the series the product exports.
 */
class K8sGrafanaDashboardTest {
    private static final Path FILE = HelmChart.DIR.resolve("files/dashboard.json");
    private static final Set<String> PANEL_TYPES = Set.of("row", "timeseries", "stat", "gauge", "bargauge",
        "table", "heatmap", "text");

    private static JsonObject dashboard;
    private static Map<String, Set<String>> scraped;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws Exception {
        dashboard = new JsonObject(Files.readString(FILE));
        scraped = ProductMetrics.scraped();
    }

    @Test
    void isADashboardGrafanaImports() {
        assertThat(dashboard.getString("uid")).matches("[a-zA-Z0-9_-]{1,40}");
        assertThat(dashboard.getString("title")).isNotBlank();
        assertThat(dashboard.getInteger("schemaVersion")).isBetween(36, 41);
        // an id belongs to one Grafana database: an exported dashboard carries none (or null)
        assertThat(dashboard.getValue("id")).isNull();
        assertThat(dashboard.getJsonObject("time").fieldNames()).containsExactlyInAnyOrder("from", "to");
        JsonArray variables = dashboard.getJsonObject("templating").getJsonArray("list");
        Set<String> names = new HashSet<>();
        for (Object v : variables) {
            JsonObject variable = (JsonObject) v;
            assertThat(names.add(variable.getString("name"))).as("variable names are unique").isTrue();
            assertThat(variable.getString("type")).isIn("datasource", "query", "custom", "constant", "interval");
        }
        assertThat(names).containsExactlyInAnyOrder("datasource", "namespace", "pod", "listener");
    }

    @Test
    void panelsHaveUniqueIdsAndLieOnTheGridWithoutOverlapping() {
        Set<Integer> ids = new HashSet<>();
        List<int[]> boxes = new ArrayList<>();
        for (JsonObject panel : panels()) {
            assertThat(ids.add(panel.getInteger("id"))).as("panel id " + panel.getInteger("id")).isTrue();
            assertThat(panel.getString("type")).isIn(PANEL_TYPES);
            assertThat(panel.getString("title")).isNotBlank();
            JsonObject grid = panel.getJsonObject("gridPos");
            int x = grid.getInteger("x");
            int y = grid.getInteger("y");
            int w = grid.getInteger("w");
            int h = grid.getInteger("h");
            assertThat(x).isBetween(0, 23);
            assertThat(w).isBetween(1, 24 - x);
            assertThat(y).isNotNegative();
            assertThat(h).isPositive();
            for (int[] other : boxes) {
                boolean overlap = x < other[0] + other[2] && other[0] < x + w && y < other[1] + other[3]
                    && other[1] < y + h;
                assertThat(overlap).as(panel.getString("title") + " overlaps another panel").isFalse();
            }
            boxes.add(new int[] {x, y, w, h});
        }
    }

    @Test
    void everyQueryHasTheDataSourceVariableAndUsesOnlyExportedSeries() {
        for (JsonObject panel : panels()) {
            if ("row".equals(panel.getString("type"))) {
                continue;
            }
            String title = panel.getString("title");
            assertThat(panel.getJsonObject("datasource").getString("uid")).as(title).isEqualTo("${datasource}");
            JsonArray targets = panel.getJsonArray("targets");
            assertThat(targets).as(title).isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (Object t : targets) {
                JsonObject target = (JsonObject) t;
                assertThat(refIds.add(target.getString("refId"))).as(title + ": refIds are unique").isTrue();
                assertThat(target.getJsonObject("datasource").getString("uid")).isEqualTo("${datasource}");
                String expr = target.getString("expr");
                assertThat(ProductMetrics.problems(expr, scraped)).as(title + ": " + expr).isEmpty();
                assertThat(expr).as(title).contains("namespace=~\"$namespace\"", "pod=~\"$pod\"");
            }
        }
        for (Object v : dashboard.getJsonObject("templating").getJsonArray("list")) {
            JsonObject variable = (JsonObject) v;
            if ("query".equals(variable.getString("type"))) {
                String query = variable.getJsonObject("query").getString("query");
                assertThat(ProductMetrics.problems(query, scraped)).as(query).isEmpty();
            }
        }
    }

    @Test
    void coversWhatAnOperatorLooksAt() {
        Set<String> used = new TreeSet<>();
        for (JsonObject panel : panels()) {
            JsonArray targets = panel.getJsonArray("targets", new JsonArray());
            for (Object t : targets) {
                used.addAll(ProductMetrics.parse(((JsonObject) t).getString("expr")).metrics().keySet());
            }
        }
        assertThat(used).contains("smtp_sidecar_connections_total", "smtp_sidecar_proxy_headers_total",
            "smtp_sidecar_backend_handshake_seconds_bucket", "smtp_sidecar_dns_lookups_total",
            "smtp_sidecar_sessions_active", "smtp_sidecar_bytes_total", "smtp_sidecar_tls_handshake_failures_total",
            "smtp_sidecar_tls_certificate_reloads_total", "smtp_sidecar_config_reloads_total",
            "jvm_memory_used_bytes");
        // every product series the README lists is on the dashboard, but the transport gauge (a variable source)
        Set<String> readmeOnDashboard = new TreeSet<>();
        used.stream().filter(n -> n.startsWith("smtp_sidecar_")).map(ProductMetrics::readmeName)
            .forEach(readmeOnDashboard::add);
        Set<String> readme = new TreeSet<>();
        assertThat(readme.addAll(readmeNames())).isTrue();
        readme.remove("smtp_sidecar_transport");
        assertThat(readmeOnDashboard).isEqualTo(readme);
    }

    @Test
    void theChartShipsItInAConfigMapForGrafanasSidecarOnlyWhenEnabled() throws Exception {
        HelmChart chart = new HelmChart(tmp);
        assertThat(chart.render()).noneMatch(d -> (HelmChart.fullname() + "-dashboard")
            .equals(get(d, "metadata.name")));
        List<Map<String, Object>> docs = chart.render(
            "metrics: {grafanaDashboard: {enabled: true, namespace: monitoring, annotations: {grafana_folder: Mail}}}");
        Map<String, Object> configMap = only(docs, "ConfigMap", HelmChart.fullname() + "-dashboard");
        assertThat(map(configMap, "metadata.labels")).containsEntry("grafana_dashboard", "1");
        assertThat(map(configMap, "metadata.annotations")).containsEntry("grafana_folder", "Mail");
        assertThat(get(configMap, "metadata.namespace")).isEqualTo("monitoring");
        String json = (String) map(configMap, "data").get("smtp-sidecar.json");
        assertThat(new JsonObject(json)).isEqualTo(dashboard);
    }

    private static List<String> readmeNames() {
        try {
            return new ArrayList<>(ProductMetrics.readmeNames());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static List<JsonObject> panels() {
        List<JsonObject> panels = new ArrayList<>();
        for (Object p : dashboard.getJsonArray("panels")) {
            panels.add((JsonObject) p);
        }
        assertThat(panels).hasSizeGreaterThan(10);
        return panels;
    }
}
