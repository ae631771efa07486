/**
 * Grafana dashboards as code (Grafana 11.2 JSON model, schemaVersion 39). Pure: config in, dashboard JSON out.
 * The tests validate every dashboard against a strict JSON schema generated from @grafana/schema 11.2.0.
 */
import type { EstateConfig } from "../../config/types";
import { toBytes } from "../../config/quantity";
import { BROKER_CONTAINER, BROKER_DEPLOYMENT, HUB_DATASOURCE_UID, JOBS } from "./names";
import { ALERT_THRESHOLDS } from "./rules";

export const GRAFANA_SCHEMA_VERSION = 39;

type Json = Record<string, unknown>;
export interface DashboardJson {
    uid: string;
    title: string;
    tags: string[];
    schemaVersion: number;
    panels: Json[];
    [k: string]: unknown;
}

const datasource = { type: "prometheus", uid: HUB_DATASOURCE_UID };

interface Query {
    expr: string;
    legend?: string;
    instant?: boolean;
}

interface PanelOpts {
    unit?: string;
    description?: string;
    /** Threshold steps [value, color]; the first step is the base colour. */
    thresholds?: [number | null, string][];
    thresholdLines?: boolean;
    min?: number;
    max?: number;
}

/** Lays panels out left to right, 24 columns wide. */
class Grid {
    private x = 0;
    private y = 0;
    private rowHeight = 0;
    private id = 0;
    readonly panels: Json[] = [];
    add(w: number, h: number, panel: Json) {
        if (this.x + w > 24) {
            this.x = 0;
            this.y += this.rowHeight;
            this.rowHeight = 0;
        }
        this.panels.push({ ...panel, id: ++this.id, gridPos: { h, w, x: this.x, y: this.y } });
        this.x += w;
        this.rowHeight = Math.max(this.rowHeight, h);
    }
}

function targets(queries: Query[]) {
    return queries.map((q, i) => ({
        refId: String.fromCharCode(65 + i),
        datasource,
        expr: q.expr,
        legendFormat: q.legend ?? "__auto",
        ...(q.instant ? { instant: true, range: false, format: "table" } : { range: true }),
    }));
}

function fieldDefaults(o: PanelOpts, custom?: Json): Json {
    const steps = (o.thresholds ?? [[null, "green"]]).map(([value, color]) => ({ value, color }));
    return {
        ...(o.unit ? { unit: o.unit } : {}),
        ...(o.min !== undefined ? { min: o.min } : {}),
        ...(o.max !== undefined ? { max: o.max } : {}),
        thresholds: { mode: "absolute", steps },
        ...(custom ? { custom } : {}),
    };
}

function timeseries(title: string, queries: Query[], o: PanelOpts = {}): Json {
    return {
        type: "timeseries",
        title,
        ...(o.description ? { description: o.description } : {}),
        datasource,
        targets: targets(queries),
        fieldConfig: {
            defaults: fieldDefaults(o, { lineWidth: 1, fillOpacity: 10, thresholdsStyle: { mode: o.thresholdLines ? "line" : "off" } }),
            overrides: [],
        },
        options: { legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["lastNotNull", "max"] }, tooltip: { mode: "multi", sort: "desc" } },
    };
}

function stat(title: string, query: Query, o: PanelOpts = {}): Json {
    return {
        type: "stat",
        title,
        ...(o.description ? { description: o.description } : {}),
        datasource,
        targets: targets([query]),
        fieldConfig: { defaults: fieldDefaults(o), overrides: [] },
        options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, colorMode: "background", graphMode: "area", textMode: "auto" },
    };
}

function bargauge(title: string, query: Query, o: PanelOpts = {}): Json {
    return {
        type: "bargauge",
        title,
        ...(o.description ? { description: o.description } : {}),
        datasource,
        targets: targets([query]),
        fieldConfig: { defaults: fieldDefaults(o), overrides: [] },
        options: { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, orientation: "horizontal", displayMode: "gradient", showUnfilled: true },
    };
}

function table(title: string, queries: Query[], o: PanelOpts = {}): Json {
    return {
        type: "table",
        title,
        ...(o.description ? { description: o.description } : {}),
        datasource,
        targets: targets(queries.map((q) => ({ ...q, instant: true }))),
        fieldConfig: { defaults: fieldDefaults(o), overrides: [] },
        options: { showHeader: true, cellHeight: "sm" },
        transformations: queries.length > 1 ? [{ id: "merge", options: {} }] : [],
    };
}

function siteVariable(multi: boolean): Json {
    return {
        name: "site",
        label: "Site",
        type: "query",
        datasource,
        query: { query: `label_values(up{job="${JOBS.agent}"}, site)`, refId: "site" },
        refresh: 1,
        sort: 1,
        multi,
        includeAll: multi,
        ...(multi ? { allValue: ".*" } : {}),
    };
}

function dashboard(uid: string, title: string, description: string, grid: Grid, variables: Json[] = []): DashboardJson {
    return {
        uid,
        title,
        description,
        tags: ["edge-estate"],
        editable: false,
        graphTooltip: 1,
        refresh: "1m",
        schemaVersion: GRAFANA_SCHEMA_VERSION,
        time: { from: "now-6h", to: "now" },
        timezone: "utc",
        templating: { list: variables },
        annotations: { list: [] },
        links: [{ title: "Edge estate", type: "dashboards", tags: ["edge-estate"], asDropdown: true, icon: "external link", includeVars: false, keepTime: true, targetBlank: false, tooltip: "", url: "" }],
        panels: grid.panels,
    };
}

const SLO = ALERT_THRESHOLDS.trackingSloSeconds;
const NEAR = ALERT_THRESHOLDS.nearBudgetRatio;
const CTR = `container!="", container!="POD"`;
const latency = (q: number, sel: string, by = "") =>
    `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ""}le) (rate(tracking_http_request_duration_seconds_bucket{job="${JOBS.tracking}"${sel}}[5m])))`;

export function estateOverviewDashboard(config: EstateConfig): DashboardJson {
    const g = new Grid();
    g.add(6, 4, stat("Sites configured", { expr: `vector(${config.sites.length})`, instant: true }, { description: `Sites in the ${config.region} stack config.` }));
    g.add(6, 4, stat("Sites reporting", { expr: `count(max by (site) (up{job="${JOBS.agent}"} == 1)) or vector(0)`, instant: true }, {
        description: `Sites whose agent sample reached the hub in the last 5 minutes.`,
        thresholds: [[null, "red"], [config.sites.length, "green"]],
    }));
    g.add(6, 4, stat("Alerts firing", { expr: `count(ALERTS{alertstate="firing"}) or vector(0)`, instant: true }, { thresholds: [[null, "green"], [1, "red"]] }));
    g.add(6, 4, stat("Tracking p99 (region)", { expr: latency(0.99, ""), instant: true }, { unit: "s", thresholds: [[null, "green"], [SLO.p99, "red"]] }));
    g.add(24, 8, table("Sites", [
        { expr: `max by (site) (up{job="${JOBS.agent}"})`, legend: "agent up" },
        { expr: `count by (site) (up{job="${JOBS.nodeExporter}"} == 1)`, legend: "nodes" },
        { expr: latency(0.99, "", "site"), legend: "tracking p99" },
        { expr: `sum by (site) (rate(tracking_events_ingested_total[5m]))`, legend: "events/s" },
        { expr: `count by (site) (container_memory_working_set_bytes{job="${JOBS.cadvisor}", container="${BROKER_CONTAINER}"})`, legend: "broker running" },
    ], { description: "One row per site: agent heartbeat, reporting nodes, tracking p99, ingest rate, broker container present." }));
    g.add(12, 8, timeseries("Tracking p99 by site", [{ expr: latency(0.99, "", "site"), legend: "{{site}}" }], { unit: "s", thresholds: [[null, "green"], [SLO.p99, "red"]], thresholdLines: true }));
    g.add(12, 8, timeseries("Tracking events ingested by site", [{ expr: `sum by (site) (rate(tracking_events_ingested_total[5m]))`, legend: "{{site}}" }], { unit: "ops" }));
    g.add(24, 8, table("Firing alerts", [{ expr: `ALERTS{alertstate="firing"}` }]));
    return dashboard("edge-estate-overview", "Edge estate overview", `All sites of region ${config.region}.`, g);
}

export function siteDetailDashboard(config: EstateConfig): DashboardJson {
    const s = `site="$site"`;
    const reserve = toBytes(config.budget.k3sReserve.server.memory);
    const g = new Grid();
    g.add(8, 8, timeseries("Node CPU busy", [{ expr: `1 - avg by (node) (rate(node_cpu_seconds_total{${s}, mode="idle"}[5m]))`, legend: "{{node}}" }], { unit: "percentunit", min: 0, max: 1 }));
    g.add(8, 8, timeseries("Node memory in use", [
        { expr: `node_memory_MemTotal_bytes{${s}} - node_memory_MemAvailable_bytes{${s}}`, legend: "{{node}} used" },
        { expr: `node_memory_MemTotal_bytes{${s}}`, legend: "{{node}} total" },
    ], { unit: "bytes" }));
    g.add(8, 8, timeseries("Root filesystem used", [{ expr: `1 - node_filesystem_avail_bytes{${s}, mountpoint="/"} / node_filesystem_size_bytes{${s}, mountpoint="/"}`, legend: "{{node}}" }], { unit: "percentunit", min: 0, max: 1 }));
    g.add(8, 8, timeseries("K3s process memory (RSS)", [{ expr: `process_resident_memory_bytes{job="${JOBS.kubelet}", ${s}}`, legend: "{{node}}" }], {
        unit: "bytes",
        description: "The k3s server/agent process serves kubelet, API server and containerd metrics from one registry; its RSS is the K3s footprint.",
        thresholds: [[null, "green"], [reserve, "red"]],
        thresholdLines: true,
    }));
    g.add(8, 8, timeseries("API server requests by code", [{ expr: `sum by (code) (rate(apiserver_request_total{${s}}[5m]))`, legend: "{{code}}" }], { unit: "reqps" }));
    g.add(8, 8, timeseries("Running pods", [{ expr: `kubelet_running_pods{${s}}`, legend: "{{node}}" }]));
    g.add(12, 8, timeseries("Container memory (working set)", [{ expr: `sum by (namespace, pod, container) (container_memory_working_set_bytes{${s}, ${CTR}})`, legend: "{{namespace}}/{{container}}" }], { unit: "bytes" }));
    g.add(12, 8, timeseries("Container CPU", [{ expr: `sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_total{${s}, ${CTR}}[5m]))`, legend: "{{namespace}}/{{container}}" }], { unit: "cores" }));
    g.add(12, 8, timeseries("Tracking requests by code", [{ expr: `sum by (code) (rate(tracking_http_requests_total{${s}}[5m]))`, legend: "{{code}}" }], { unit: "reqps" }));
    g.add(12, 8, table("Scrape targets", [{ expr: `up{${s}}` }], { description: "1 = scraped, 0 = failing. Jobs: agent, node-exporter, kubelet, cadvisor, kubelet-probes, apiserver, tracking." }));
    return dashboard("edge-site-detail", "Edge site detail", "One site: hosts, K3s, containers, tracking service.", g, [siteVariable(false)]);
}

export function trackingLatencyDashboard(): DashboardJson {
    const sel = `, site=~"$site"`;
    const slo: [number | null, string][] = [[null, "green"], [SLO.p50, "yellow"], [SLO.p99, "orange"], [SLO.p999, "red"]];
    const g = new Grid();
    g.add(8, 4, stat("p50 (objective 15 ms)", { expr: latency(0.5, sel), instant: true }, { unit: "s", thresholds: [[null, "green"], [SLO.p50, "red"]] }));
    g.add(8, 4, stat("p99 (objective 30 ms)", { expr: latency(0.99, sel), instant: true }, { unit: "s", thresholds: [[null, "green"], [SLO.p99, "red"]] }));
    g.add(8, 4, stat("p99.9 (objective 50 ms)", { expr: latency(0.999, sel), instant: true }, { unit: "s", thresholds: [[null, "green"], [SLO.p999, "red"]] }));
    g.add(24, 10, timeseries("Tracking request latency vs SLO", [
        { expr: latency(0.5, sel), legend: "p50" },
        { expr: latency(0.99, sel), legend: "p99" },
        { expr: latency(0.999, sel), legend: "p99.9" },
    ], { unit: "s", thresholds: slo, thresholdLines: true, description: "Threshold lines: 15 ms (p50), 30 ms (p99), 50 ms (p99.9) objectives." }));
    g.add(12, 8, timeseries("p99 by site", [{ expr: latency(0.99, sel, "site"), legend: "{{site}}" }], { unit: "s", thresholds: [[null, "green"], [SLO.p99, "red"]], thresholdLines: true }));
    g.add(12, 8, timeseries("Requests within 50 ms", [{
        expr: `sum by (site) (rate(tracking_http_request_duration_seconds_bucket{job="${JOBS.tracking}", le="0.05"${sel}}[5m])) / sum by (site) (rate(tracking_http_request_duration_seconds_count{job="${JOBS.tracking}"${sel}}[5m]))`,
        legend: "{{site}}",
    }], { unit: "percentunit", min: 0, max: 1, thresholds: [[null, "red"], [0.999, "green"]] }));
    g.add(24, 8, timeseries("Requests by status code", [{ expr: `sum by (code) (rate(tracking_http_requests_total{job="${JOBS.tracking}"${sel}}[5m]))`, legend: "{{code}}" }], { unit: "reqps" }));
    return dashboard("edge-tracking-latency", "Tracking latency", "Tracking service HTTP latency (tracking_http_request_duration_seconds) against the 15/30/50 ms SLO.", g, [siteVariable(true)]);
}

export function mqttThroughputDashboard(): DashboardJson {
    const sel = `site=~"$site"`;
    const brokerPod = `pod=~"${BROKER_DEPLOYMENT}-.+"`;
    const g = new Grid();
    g.add(12, 8, timeseries("Messages delivered to the tracking service", [
        { expr: `sum by (site) (rate(tracking_events_ingested_total{${sel}}[5m]))`, legend: "{{site}} ingested" },
        { expr: `sum by (site) (rate(tracking_events_duplicate_total{${sel}}[5m]))`, legend: "{{site}} duplicate" },
        { expr: `sum by (site) (rate(tracking_events_rejected_total{${sel}}[5m]))`, legend: "{{site}} rejected" },
    ], { unit: "ops", description: "Device messages routed by the broker to the tracking subscriber: accepted, duplicate and malformed." }));
    g.add(12, 8, timeseries("Broker network traffic", [
        { expr: `sum by (site) (rate(container_network_receive_bytes_total{job="${JOBS.cadvisor}", ${sel}, ${brokerPod}}[5m]))`, legend: "{{site}} in" },
        { expr: `-sum by (site) (rate(container_network_transmit_bytes_total{job="${JOBS.cadvisor}", ${sel}, ${brokerPod}}[5m]))`, legend: "{{site}} out" },
    ], { unit: "Bps", description: "Bytes through the broker pod's interface (cAdvisor); out is drawn negative." }));
    g.add(8, 8, timeseries("Tracking MQTT session", [{ expr: `min by (site) (tracking_mqtt_connected{${sel}})`, legend: "{{site}}" }], { min: 0, max: 1, description: "1 = the tracking service holds its broker session." }));
    g.add(8, 8, timeseries("Tracking MQTT reconnects", [{ expr: `sum by (site) (increase(tracking_mqtt_connects_total{${sel}}[15m]))`, legend: "{{site}}" }]));
    g.add(8, 8, timeseries("Broker readiness probe failures", [{ expr: `sum by (site) (increase(prober_probe_total{job="${JOBS.probes}", container="${BROKER_CONTAINER}", result!="successful", ${sel}}[15m]))`, legend: "{{site}}" }]));
    g.add(12, 8, timeseries("Broker memory", [{ expr: `sum by (site) (container_memory_working_set_bytes{job="${JOBS.cadvisor}", container="${BROKER_CONTAINER}", ${sel}})`, legend: "{{site}}" }], { unit: "bytes" }));
    g.add(12, 8, timeseries("Broker CPU", [{ expr: `sum by (site) (rate(container_cpu_usage_seconds_total{job="${JOBS.cadvisor}", container="${BROKER_CONTAINER}", ${sel}}[5m]))`, legend: "{{site}}" }], { unit: "cores" }));
    return dashboard("edge-mqtt-throughput", "MQTT throughput", "Broker traffic, seen from the tracking subscriber and the broker pod.", g, [siteVariable(true)]);
}

export function budgetDashboard(config: EstateConfig): DashboardJson {
    const sel = `site=~"$site"`;
    const by = "site, namespace, pod, container";
    const near: [number | null, string][] = [[null, "green"], [NEAR * 0.8, "yellow"], [NEAR, "red"]];
    const hostMemory = toBytes(config.budget.host.memory);
    const g = new Grid();
    g.add(12, 12, bargauge("Memory: working set / limit", {
        expr: `max by (${by}) (container_memory_working_set_bytes{job="${JOBS.cadvisor}", ${sel}, ${CTR}}) / on (${by}) max by (${by}) (container_spec_memory_limit_bytes{job="${JOBS.cadvisor}", ${sel}, ${CTR}} > 0)`,
        legend: "{{site}} {{namespace}}/{{container}}",
        instant: true,
    }, { unit: "percentunit", min: 0, max: 1, thresholds: near, description: `Alert ContainerMemoryNearLimit fires above ${NEAR * 100} % for 10 minutes.` }));
    g.add(12, 12, bargauge("CPU: usage / limit", {
        expr: `sum by (${by}) (rate(container_cpu_usage_seconds_total{job="${JOBS.cadvisor}", ${sel}, ${CTR}}[5m])) / on (${by}) (max by (${by}) (container_spec_cpu_quota{job="${JOBS.cadvisor}", ${sel}, ${CTR}} > 0) / on (${by}) max by (${by}) (container_spec_cpu_period{job="${JOBS.cadvisor}", ${sel}, ${CTR}}))`,
        legend: "{{site}} {{namespace}}/{{container}}",
        instant: true,
    }, { unit: "percentunit", min: 0, max: 1, thresholds: near, description: `Alert ContainerCpuNearLimit fires above ${NEAR * 100} % for 10 minutes.` }));
    g.add(12, 8, timeseries("Sum of container memory limits per site vs host memory", [
        { expr: `sum by (site) (max by (site, namespace, pod, container) (container_spec_memory_limit_bytes{job="${JOBS.cadvisor}", ${sel}, ${CTR}}))`, legend: "{{site}} limits" },
        { expr: `sum by (site) (node_memory_MemTotal_bytes{${sel}})`, legend: "{{site}} host memory" },
    ], { unit: "bytes", description: `Budget: ${config.budget.host.memory} per host, of which K3s keeps ${config.budget.k3sReserve.server.memory} on a server.` }));
    g.add(12, 8, timeseries("Host memory in use", [{ expr: `1 - node_memory_MemAvailable_bytes{${sel}} / node_memory_MemTotal_bytes{${sel}}`, legend: "{{site}} {{node}}" }], {
        unit: "percentunit",
        min: 0,
        max: 1,
        thresholds: near,
        thresholdLines: true,
        description: `Alert SiteHostMemoryNearCapacity fires above ${NEAR * 100} % of the ${hostMemory / 2 ** 30} GiB host.`,
    }));
    g.add(24, 8, table("Container limits", [
        { expr: `max by (${by}) (container_spec_memory_limit_bytes{job="${JOBS.cadvisor}", ${sel}, ${CTR}})`, legend: "memory limit" },
        { expr: `max by (${by}) (container_spec_cpu_quota{job="${JOBS.cadvisor}", ${sel}, ${CTR}} > 0) / on (${by}) max by (${by}) (container_spec_cpu_period{job="${JOBS.cadvisor}", ${sel}, ${CTR}})`, legend: "cpu limit" },
    ]));
    return dashboard("edge-budget", "Budget use", "Container usage against limits and the 4 GiB host budget.", g, [siteVariable(true)]);
}

export function allDashboards(config: EstateConfig): DashboardJson[] {
    return [estateOverviewDashboard(config), siteDetailDashboard(config), trackingLatencyDashboard(), mqttThroughputDashboard(), budgetDashboard(config)];
}
