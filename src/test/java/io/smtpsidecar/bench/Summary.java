package io.smtpsidecar.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * Turns the raw JSON lines of a run into {@code latest.json} (one object per path and workload, medians) and a
 * markdown report with spreads, ratios (per round, against the nginx path and the direct path) and the targets.
 */
final class Summary {
    static final String DIRECT = "1";
    static final String HAPROXY = "2";
    static final String NGINX = "3";
    static final String HAPROXY_SIDECAR = "4";
    static final String SIDECAR = "5";
    /** The TLS pair (workload "tls"): implicit TLS terminated by nginx's mail proxy, and by the sidecar. */
    static final String TLS_NGINX = "6";
    static final String TLS_SIDECAR = "7";
    static final String TLS = "tls";

    private final List<JsonObject> load = new ArrayList<>();
    private final List<JsonObject> idle = new ArrayList<>();
    private final List<JsonObject> source = new ArrayList<>();
    private final JsonObject meta = new JsonObject();
    private final JsonObject rest = new JsonObject();
    private final Map<String, String> pathNames = new TreeMap<>();

    private Summary(Path raw) throws IOException {
        for (String line : Files.readAllLines(raw)) {
            if (line.isBlank()) {
                continue;
            }
            JsonObject o = new JsonObject(line);
            switch (o.getString("phase", "")) {
                case "load" -> load.add(o);
                case "idle" -> idle.add(o);
                case "smtp-source" -> source.add(o);
                case "meta" -> meta.mergeIn(o);
                case "rest" -> rest.mergeIn(o);
                default -> { }
            }
            if (o.containsKey("path") && o.getString("path_name", "").length() > 0) {
                pathNames.put(o.getString("path"), o.getString("path_name"));
            }
        }
    }

    static void write(Path raw, Path json, Path md) throws IOException {
        Summary s = new Summary(raw);
        Files.writeString(json, s.json().encodePrettily() + "\n");
        Files.writeString(md, s.markdown());
    }

    // ------------------------------------------------------------------ aggregation

    private List<String> workloads() {
        Set<String> w = new LinkedHashSet<>();
        load.forEach(o -> w.add(o.getString("workload")));
        return new ArrayList<>(w);
    }

    private List<String> paths(List<JsonObject> rows) {
        Set<String> p = new java.util.TreeSet<>();
        rows.forEach(o -> p.add(o.getString("path")));
        return new ArrayList<>(p);
    }

    private List<JsonObject> runs(String path, String workload) {
        return load.stream().filter(o -> o.getString("path").equals(path) && o.getString("workload").equals(workload))
            .toList();
    }

    private static double median(List<Double> values) {
        List<Double> v = values.stream().filter(d -> !d.isNaN()).sorted().toList();
        if (v.isEmpty()) {
            return Double.NaN;
        }
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static double min(List<Double> v) {
        return v.stream().filter(d -> !d.isNaN()).min(Comparator.naturalOrder()).orElse(Double.NaN);
    }

    private static double max(List<Double> v) {
        return v.stream().filter(d -> !d.isNaN()).max(Comparator.naturalOrder()).orElse(Double.NaN);
    }

    private static List<Double> values(List<JsonObject> rows, ToDoubleFunction<JsonObject> f) {
        return rows.stream().map(r -> f.applyAsDouble(r)).toList();
    }

    /** CPU ms per 1000 sessions of the named processes in one run. */
    private static double cpuPer1k(JsonObject run, List<String> procs) {
        int ok = run.getInteger("sessions_ok");
        if (ok == 0) {
            return Double.NaN;
        }
        long ms = 0;
        JsonObject cpu = run.getJsonObject("cpu_ms");
        for (String p : procs) {
            ms += cpu.getLong(p, 0L);
        }
        return ms * 1000.0 / ok;
    }

    private static List<String> proxyProcs(JsonObject run) {
        String s = run.getString("proxy_procs", "");
        return s.isBlank() ? List.of() : List.of(s.split(","));
    }

    private List<String> processNames() {
        Set<String> names = new LinkedHashSet<>();
        load.forEach(o -> names.addAll(o.getJsonObject("cpu_ms").fieldNames()));
        return new ArrayList<>(names);
    }

    /** The per-round ratio metric(path)/metric(base), median over the rounds both have. */
    private double ratio(String workload, String path, String base, String metric) {
        return ratio(workload, path, base, r -> r.getDouble(metric));
    }

    private double ratio(String workload, String path, String base, ToDoubleFunction<JsonObject> metric) {
        List<Double> ratios = new ArrayList<>();
        for (JsonObject run : runs(path, workload)) {
            for (JsonObject b : runs(base, workload)) {
                if (b.getInteger("round").equals(run.getInteger("round")) && metric.applyAsDouble(b) > 0) {
                    ratios.add(metric.applyAsDouble(run) / metric.applyAsDouble(b));
                }
            }
        }
        return median(ratios);
    }

    /** The nginx path a workload's rows are compared with: the TLS one for "tls". */
    private static String nginxPath(String workload) {
        return workload.equals(TLS) ? TLS_NGINX : NGINX;
    }

    /** The distinct TLS sessions the load tool saw on these runs ("TLSv1.3 TLS_AES_256_GCM_SHA384 EC-256"). */
    private static String negotiated(List<JsonObject> rows) {
        Set<String> seen = new LinkedHashSet<>();
        rows.forEach(r -> r.getJsonArray("tls", new JsonArray()).forEach(t -> seen.add(t.toString())));
        return String.join(", ", seen);
    }

    private JsonArray json() {
        JsonArray out = new JsonArray();
        for (String w : workloads()) {
            for (String p : paths(load)) {
                List<JsonObject> rows = runs(p, w);
                if (rows.isEmpty()) {
                    continue;
                }
                JsonObject byProcess = new JsonObject();
                for (String name : processNames()) {
                    byProcess.put(name, r1(median(values(rows, r -> cpuPer1k(r, List.of(name))))));
                }
                JsonObject row = new JsonObject()
                    .put("path", p + "-" + pathNames.getOrDefault(p, ""))
                    .put("workload", w)
                    .put("sessions_per_s", r1(median(values(rows, r -> r.getDouble("sessions_per_s")))))
                    .put("mb_per_s", r1(median(values(rows, r -> r.getDouble("mb_per_s")))))
                    .put("banner_p50_ms", r3(median(values(rows, r -> r.getDouble("banner_p50_ms")))))
                    .put("banner_p99_ms", r3(median(values(rows, r -> r.getDouble("banner_p99_ms")))))
                    .put("cpu_ms_per_1k", r1(median(values(rows, r -> cpuPer1k(r, proxyProcs(r))))))
                    .put("rss_kb_per_session", null)
                    .put("errors", rows.stream().mapToInt(r -> r.getInteger("errors")).sum())
                    .put("rounds", rows.size())
                    .put("concurrency", rows.get(0).getInteger("concurrency"))
                    .put("message_bytes", rows.get(0).getInteger("message_bytes"))
                    .put("sessions_per_s_min", r1(min(values(rows, r -> r.getDouble("sessions_per_s")))))
                    .put("sessions_per_s_max", r1(max(values(rows, r -> r.getDouble("sessions_per_s")))))
                    .put("banner_p999_ms", r3(median(values(rows, r -> r.getDouble("banner_p999_ms")))))
                    .put("cpu_ms_per_1k_by_process", byProcess)
                    .put("proxy_processes", rows.get(0).getString("proxy_procs"));
                if (w.equals(TLS)) {
                    // within one run: each round's ratio to the nginx TLS path, then the median
                    row.put("tls", negotiated(rows))
                        .put("sessions_per_s_vs_nginx", r3(ratio(w, p, TLS_NGINX, "sessions_per_s")))
                        .put("cpu_vs_nginx", r3(ratio(w, p, TLS_NGINX, r -> cpuPer1k(r, proxyProcs(r)))));
                }
                out.add(row);
            }
        }
        for (String p : paths(idle)) {
            List<JsonObject> rows = idle.stream().filter(o -> o.getString("path").equals(p)).toList();
            JsonObject byProcess = new JsonObject();
            JsonObject heap = new JsonObject();
            for (String name : rows.get(0).getJsonObject("rss_kb_after").fieldNames()) {
                byProcess.put(name, r3(median(values(rows, r -> rssPerSession(r, List.of(name))))));
            }
            for (String name : rows.get(0).getJsonObject("heap_kb_after").fieldNames()) {
                heap.put(name, r3(median(values(rows, r -> heapPerSession(r, name)))));
            }
            out.add(new JsonObject()
                .put("path", p + "-" + pathNames.getOrDefault(p, ""))
                .put("workload", "idle")
                .put("sessions_per_s", null)
                .put("mb_per_s", null)
                .put("banner_p50_ms", null)
                .put("banner_p99_ms", null)
                .put("cpu_ms_per_1k", null)
                .put("rss_kb_per_session", r3(median(values(rows, r -> rssPerSession(r, proxyProcs(r))))))
                .put("errors", rows.stream().mapToInt(r -> r.getInteger("errors")).sum())
                .put("rounds", rows.size())
                .put("sessions_held", rows.stream().mapToInt(r -> r.getInteger("open")).min().orElse(0))
                .put("sessions_requested", rows.get(0).getInteger("requested"))
                .put("rss_kb_per_session_by_process", byProcess)
                .put("heap_kb_per_session", heap)
                .put("proxy_processes", rows.get(0).getString("proxy_procs")));
        }
        if (!rest.isEmpty()) {
            out.add(new JsonObject().put("workload", "rest").put("path", SIDECAR).put("path_name", name(SIDECAR))
                .put("rss_kb", rest.getLong("rss_kb")).put("threads", rest.getInteger("threads"))
                .put("after", rest.getString("after")));
        }
        return out;
    }

    private static double rssPerSession(JsonObject r, List<String> procs) {
        int open = r.getInteger("open");
        if (open == 0 || procs.isEmpty()) {
            return Double.NaN;
        }
        long kb = 0;
        for (String p : procs) {
            kb += r.getJsonObject("rss_kb_after").getLong(p, 0L) - r.getJsonObject("rss_kb_before").getLong(p, 0L);
        }
        return (double) kb / open;
    }

    private static double heapPerSession(JsonObject r, String proc) {
        int open = r.getInteger("open");
        Long after = r.getJsonObject("heap_kb_after").getLong(proc);
        Long before = r.getJsonObject("heap_kb_before").getLong(proc);
        if (open == 0 || after == null || before == null || after < 0 || before < 0) {
            return Double.NaN;
        }
        return (double) (after - before) / open;
    }

    private static Double r1(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 10) / 10.0;
    }

    private static Double r3(double v) {
        return Double.isNaN(v) ? null : Math.round(v * 1000) / 1000.0;
    }

    // ------------------------------------------------------------------ markdown

    private String name(String p) {
        return p + " " + pathNames.getOrDefault(p, "");
    }

    private static String f(double v, int digits) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%." + digits + "f", v);
    }

    private String markdown() {
        StringBuilder md = new StringBuilder();
        if (!meta.isEmpty()) {
            md.append("Run: ").append(meta.getString("started", "?")).append(", ")
                .append(meta.getString("mode", "")).append(", ").append(meta.getInteger("rounds", 0))
                .append(" rounds; ").append(meta.getString("machine", "")).append("\n\n");
        }
        for (String w : workloads()) {
            List<JsonObject> any = load.stream().filter(o -> o.getString("workload").equals(w)).toList();
            JsonObject first = any.get(0);
            md.append("### ").append(w).append(": ").append(first.getInteger("concurrency")).append(" concurrent, ")
                .append(first.getInteger("message_bytes")).append("-byte message, ")
                .append(first.getInteger("sessions_ok") + first.getInteger("errors")).append(" sessions per run, ")
                .append(any.stream().mapToInt(o -> o.getInteger("round")).max().orElse(0)).append(" rounds\n\n");
            boolean bulk = first.getInteger("message_bytes") >= 100_000;
            String metric = bulk ? "mb_per_s" : "sessions_per_s";
            md.append("| path | ").append(bulk ? "MB/s" : "sessions/s").append(" median | min..max | vs nginx (")
                .append(nginxPath(w)).append(") | vs direct (1)"
                + " | banner p50 / p99 / p99.9 ms | proxy CPU ms/1k sessions, median (min..max) | CPU ms/1k by process"
                + " | errors |\n|---|---|---|---|---|---|---|---|---|\n");
            for (String p : paths(any)) {
                List<JsonObject> rows = runs(p, w);
                List<Double> m = values(rows, r -> r.getDouble(metric));
                List<Double> cpu = values(rows, r -> cpuPer1k(r, proxyProcs(r)));
                StringBuilder by = new StringBuilder();
                for (String proc : processNames()) {
                    double c = median(values(rows, r -> cpuPer1k(r, List.of(proc))));
                    if (c > 0) {
                        by.append(by.length() > 0 ? ", " : "").append(proc).append(' ').append(f(c, 0));
                    }
                }
                md.append("| ").append(name(p)).append(" | ").append(f(median(m), 1)).append(" | ")
                    .append(f(min(m), 1)).append("..").append(f(max(m), 1)).append(" | ")
                    .append(f(ratio(w, p, nginxPath(w), metric), 2)).append("× | ")
                    .append(f(ratio(w, p, DIRECT, metric), 2)).append("× | ")
                    .append(f(median(values(rows, r -> r.getDouble("banner_p50_ms"))), 2)).append(" / ")
                    .append(f(median(values(rows, r -> r.getDouble("banner_p99_ms"))), 2)).append(" / ")
                    .append(f(median(values(rows, r -> r.getDouble("banner_p999_ms"))), 2)).append(" | ")
                    .append(f(median(cpu), 0)).append(" (").append(f(min(cpu), 0)).append("..").append(f(max(cpu), 0))
                    .append(") | ").append(by).append(" | ")
                    .append(rows.stream().mapToInt(r -> r.getInteger("errors")).sum()).append(" |\n");
            }
            if (w.equals("small") && !source.isEmpty()) {
                List<Double> own = values(runs(DIRECT, "small"), r -> r.getDouble("sessions_per_s"));
                md.append("\nLoad-tool check on the direct path (20 concurrent, 1 KB): LoadTool ").append(f(median(own), 0))
                    .append(" sessions/s (").append(f(min(own), 0)).append("..").append(f(max(own), 0)).append(")");
                Set<String> sinks = new LinkedHashSet<>();
                source.forEach(o -> sinks.add(o.getString("sink", "sink")));
                for (String sink : sinks) {
                    List<Double> s = values(source.stream().filter(o -> o.getString("sink", "sink").equals(sink)).toList(),
                        r -> r.getDouble("sessions_per_s"));
                    md.append("; smtp-source → ").append(sink).append(' ').append(f(median(s), 0)).append(" (")
                        .append(f(min(s), 0)).append("..").append(f(max(s), 0)).append(", ").append(s.size()).append(" runs)");
                }
                md.append(". Command: `").append(source.get(0).getString("command", "")).append("`.\n");
            }
            if (w.equals(TLS)) {
                md.append("\nImplicit TLS (465) after a PROXY v2 header, full handshakes (no resumption), one certificate: ")
                    .append(meta.getString("tls_certificate", "?")).append(". Negotiated: ").append(negotiated(any))
                    .append(". tls-sidecar / tls-nginx, median of the per-round ratios: sessions/s ")
                    .append(f(ratio(w, TLS_SIDECAR, TLS_NGINX, "sessions_per_s"), 2)).append("×, CPU per session ")
                    .append(f(ratio(w, TLS_SIDECAR, TLS_NGINX, r -> cpuPer1k(r, proxyProcs(r))), 2))
                    .append("×. Load tool: ").append(meta.getString("tls_loadtool_java", "?")).append("; ")
                    .append(meta.getString("openssl", "")).append(".\n");
            }
            md.append("\n");
        }
        if (!idle.isEmpty()) {
            md.append("### idle: sessions held after EHLO (fresh processes, ").append(idle.get(0).getInteger("requested"))
                .append(" per run)\n\n| path | held (min) | errors | proxy RSS growth per session, KB, median (min..max)"
                + " | RSS KB/session by process | heap KB/session after full GC | time to open all, s |\n"
                + "|---|---|---|---|---|---|---|\n");
            for (String p : paths(idle)) {
                List<JsonObject> rows = idle.stream().filter(o -> o.getString("path").equals(p)).toList();
                List<Double> rss = values(rows, r -> rssPerSession(r, proxyProcs(r)));
                StringBuilder by = new StringBuilder();
                for (String proc : rows.get(0).getJsonObject("rss_kb_after").fieldNames()) {
                    by.append(by.length() > 0 ? ", " : "").append(proc).append(' ')
                        .append(f(median(values(rows, r -> rssPerSession(r, List.of(proc)))), 2));
                }
                StringBuilder heap = new StringBuilder();
                for (String proc : rows.get(0).getJsonObject("heap_kb_after").fieldNames()) {
                    heap.append(proc).append(' ').append(f(median(values(rows, r -> heapPerSession(r, proc))), 2));
                }
                md.append("| ").append(name(p)).append(" | ")
                    .append(rows.stream().mapToInt(r -> r.getInteger("open")).min().orElse(0)).append(" | ")
                    .append(rows.stream().mapToInt(r -> r.getInteger("errors")).sum()).append(" | ")
                    .append(f(median(rss), 2)).append(" (").append(f(min(rss), 2)).append("..").append(f(max(rss), 2))
                    .append(") | ").append(by).append(" | ").append(heap.length() == 0 ? "–" : heap).append(" | ")
                    .append(f(median(values(rows, r -> r.getDouble("open_s"))), 1)).append(" |\n");
            }
            md.append("\n");
        }
        md.append(targets());
        return md.toString();
    }

    /**
     * The lean-core issue's six targets and the TLS issue's one, each with what this run measured; a target whose
     * workload did not run (a {@code BENCH_WORKLOADS} subset) is left out.
     */
    private String targets() {
        StringBuilder t = new StringBuilder("### targets\n\n| target | measured | met |\n|---|---|---|\n");
        boolean small = !runs(SIDECAR, "small").isEmpty();
        if (small) {
            double nginxCpu = median(values(runs(NGINX, "small"), r -> cpuPer1k(r, List.of("nginx"))));
            double haproxyCpu = median(values(runs(HAPROXY, "small"), r -> cpuPer1k(r, List.of("haproxy"))));
            double sc5 = median(values(runs(SIDECAR, "small"), r -> cpuPer1k(r, List.of("sidecar"))));
            target(t, "1. CPU per 1000 small sessions: sidecar (path 5) ≤ nginx (path 3); beyond: ≤ HAProxy (path 2)",
                "sidecar " + f(sc5, 0) + " ms, nginx " + f(nginxCpu, 0) + " ms (" + f(sc5 / nginxCpu, 2)
                    + "×), HAProxy " + f(haproxyCpu, 0) + " ms", sc5 <= nginxCpu);
            double r43 = ratio("small", HAPROXY_SIDECAR, NGINX, "sessions_per_s");
            target(t, "2. small sessions/s: path 4 ≥ path 3", f(r43, 2) + "× (median of per-round ratios)", r43 >= 1.0);
        }
        if (!runs(SIDECAR, "bulk").isEmpty()) {
            double b52 = ratio("bulk", SIDECAR, HAPROXY, "mb_per_s");
            double bulkSidecarCpu = median(values(runs(SIDECAR, "bulk"), r -> cpuPer1k(r, List.of("sidecar"))));
            double bulkHaproxyCpu = median(values(runs(HAPROXY, "bulk"), r -> cpuPer1k(r, List.of("haproxy"))));
            target(t, "3. bulk MB/s: path 5 ≥ path 2, CPU per MB ≤ HAProxy's", f(b52, 2) + "×; CPU per 1 MB message "
                + "sidecar " + f(bulkSidecarCpu / 1000, 3) + " ms, HAProxy " + f(bulkHaproxyCpu / 1000, 3) + " ms",
                b52 >= 1.0 && bulkSidecarCpu <= bulkHaproxyCpu);
        }
        if (small) {
            double d99 = median(values(runs(DIRECT, "small"), r -> r.getDouble("banner_p99_ms")));
            double s99 = median(values(runs(SIDECAR, "small"), r -> r.getDouble("banner_p99_ms")));
            target(t, "4. banner p99 at 20 concurrent: path 5 ≤ direct + 1 ms", "direct " + f(d99, 2) + " ms, path 5 "
                + f(s99, 2) + " ms (+" + f(s99 - d99, 2) + ")", s99 <= d99 + 1);
        }
        otherTargets(t);
        return t.append("\n").toString();
    }

    private void otherTargets(StringBuilder t) {
        List<JsonObject> sidecarIdle = idle.stream().filter(o -> o.getString("path").equals(SIDECAR)).toList();
        if (!sidecarIdle.isEmpty()) {
            double kb = median(values(sidecarIdle, r -> rssPerSession(r, List.of("sidecar"))));
            int held = sidecarIdle.stream().mapToInt(r -> r.getInteger("open")).min().orElse(0);
            int errors = sidecarIdle.stream().mapToInt(r -> r.getInteger("errors")).sum();
            target(t, "5. idle: ≤ 6 KB RSS growth per held session, 9,850 held, 0 errors", f(kb, 2) + " KB, "
                + held + " held, " + errors + " errors", kb <= 6 && held >= 9_850 && errors == 0);
        }
        if (rest.containsKey("rss_kb")) {
            long rssKb = rest.getLong("rss_kb");
            int threads = rest.getInteger("threads");
            target(t, "6. at rest after the load: ≤ 64 MB RSS, ≤ 12 threads", f(rssKb / 1024.0, 1) + " MB, " + threads
                + " threads", rssKb <= 64 * 1024 && threads <= 12);
        }
        if (!runs(TLS_SIDECAR, TLS).isEmpty()) {
            double nginx = median(values(runs(TLS_NGINX, TLS), r -> cpuPer1k(r, proxyProcs(r))));
            double sidecar = median(values(runs(TLS_SIDECAR, TLS), r -> cpuPer1k(r, proxyProcs(r))));
            double perRound = ratio(TLS, TLS_SIDECAR, TLS_NGINX, r -> cpuPer1k(r, proxyProcs(r)));
            target(t, "TLS. CPU per implicit-TLS session (TLS 1.3, ECDSA P-256): sidecar (path 7) ≤ nginx (path 6)",
                "sidecar " + f(sidecar, 0) + " ms, nginx " + f(nginx, 0) + " ms per 1000 sessions (" + f(perRound, 2)
                    + "×, median of per-round ratios)", perRound <= 1.0);
        }
    }

    private static void target(StringBuilder t, String what, String measured, boolean met) {
        t.append("| ").append(what).append(" | ").append(measured).append(" | ").append(met ? "yes" : "**no**")
            .append(" |\n");
    }
}
