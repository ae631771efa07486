// Alert rules (components/addons/monitoring/rules.ts) through the real `promtool check rules` and
// `promtool test rules`: every alert is shown firing for the bad case and silent for the good one.
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ALERT_THRESHOLDS, alertRulesFile } from "../../../../components/addons/monitoring/rules";
import { promtool, requirePromtool, scratchDir, writeYaml } from "./promtool";

const REGION = "cn-east";
const SITES = ["site-a", "site-b", "site-c"];

/** The 14 cumulative buckets of tracking_http_request_duration_seconds (wasm-app/src/metrics.ts) plus +Inf. */
const BUCKETS = ["0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"];

/** A histogram whose requests all take between the bucket below `le` and `le`: `perMinute` requests a minute. */
function histogram(site: string, le: string, perMinute: number, minutes: number) {
    const at = BUCKETS.indexOf(le);
    return BUCKETS.map((b, i) => ({
        series: `tracking_http_request_duration_seconds_bucket{job="tracking", region="${REGION}", site="${site}", le="${b}"}`,
        values: i >= at ? `0+${perMinute}x${minutes}` : `0x${minutes}`,
    }));
}

const cadvisor = (site: string, metric: string, container: string, values: string) => ({
    series: `${metric}{job="cadvisor", region="${REGION}", site="${site}", namespace="edge", pod="${container}-0", container="${container}", id="/x/${container}"}`,
    values,
});

const MiB = 2 ** 20;
const GiB = 2 ** 30;

const DAY = 86400;
const certSeries = (site: string, file: string, notAfter: number, steps: number) => ({
    series: `edge_k3s_certificate_expiry_timestamp_seconds{job="node-exporter", region="${REGION}", site="${site}", node="${site}-srv-a", file="${file}"}`,
    values: `${notAfter}x${steps}`,
});
const certAlert = (site: string, remaining: string) => ({
    exp_labels: { severity: "warning", region: REGION, site, node: `${site}-srv-a` },
    exp_annotations: {
        summary: `A K3s certificate on ${site}-srv-a (site ${site}) expires within 30 days`,
        description: `The earliest K3s certificate on this server expires in ${remaining}. K3s renews certificates only when it starts: rotate them wave by wave (docs/day2.md, certificate rotation).`,
    },
});

function unitTests() {
    return {
        rule_files: ["alerts.yml"],
        evaluation_interval: "1m",
        tests: [
            {
                // promtool's clock starts at 0, so a notAfter of 29 days is "29 days from now".
                name: "CertificateExpiringSoon: the earliest certificate of a server decides; 29 days fires, 31 days does not, 30 days + 20 min starts firing 10 min after crossing",
                interval: "1m",
                input_series: [
                    certSeries("site-a", "serving-kube-apiserver.crt", 29 * DAY, 60),
                    certSeries("site-a", "server-ca.crt", 3650 * DAY, 60),
                    certSeries("site-b", "serving-kube-apiserver.crt", 31 * DAY, 60),
                    certSeries("site-c", "client-admin.crt", 30 * DAY + 20 * 60, 60),
                ],
                alert_rule_test: [
                    { eval_time: "5m", alertname: "CertificateExpiringSoon", exp_alerts: [] },
                    { eval_time: "15m", alertname: "CertificateExpiringSoon", exp_alerts: [certAlert("site-a", "28d 23h 45m 0s")] },
                    { eval_time: "25m", alertname: "CertificateExpiringSoon", exp_alerts: [certAlert("site-a", "28d 23h 35m 0s")] },
                    { eval_time: "35m", alertname: "CertificateExpiringSoon", exp_alerts: [certAlert("site-a", "28d 23h 25m 0s"), certAlert("site-c", "29d 23h 45m 0s")] },
                ],
            },
            {
                name: "DatastoreSnapshotStale: a server without a snapshot for 36 h fires; one snapshotting every 6 h stays silent",
                // Samples every 5 min: no gaps within Prometheus' 5 min lookback, so `for` can hold.
                interval: "5m",
                input_series: [
                    { series: `edge_datastore_last_snapshot_timestamp_seconds{job="node-exporter", region="${REGION}", site="site-a", node="site-a-srv-a"}`, values: "0x600" },
                    // A new snapshot every 6 h (72 samples of 5 min each).
                    { series: `edge_datastore_last_snapshot_timestamp_seconds{job="node-exporter", region="${REGION}", site="site-b", node="site-b-srv-a"}`, values: "0x71 21600x71 43200x71 64800x71 86400x71 108000x71 129600x71 151200x71" },
                ],
                alert_rule_test: [
                    { eval_time: "35h", alertname: "DatastoreSnapshotStale", exp_alerts: [] },
                    {
                        eval_time: "38h",
                        alertname: "DatastoreSnapshotStale",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", region: REGION, site: "site-a", node: "site-a-srv-a" },
                                exp_annotations: {
                                    summary: "No datastore snapshot on site-a-srv-a (site site-a) for 36 hours",
                                    description: "The newest K3s datastore snapshot on this server is 1d 14h 0m 0s old: the etcd snapshot schedule or the SQLite backup timer is not running (docs/day2.md, restore from snapshot).",
                                },
                            },
                        ],
                    },
                ],
            },
            {
                name: "EdgeSiteDown: silent while a site sends, fires once 5 minutes pass after its last sample, and for a site never seen",
                interval: "1m",
                input_series: [
                    { series: `up{job="prometheus-agent", region="${REGION}", site="site-a"}`, values: "1x30" },
                    { series: `up{job="prometheus-agent", region="${REGION}", site="site-b"}`, values: "1x10" },
                    // site-c never reports.
                ],
                alert_rule_test: [
                    // A site that never reported is down from the start; site-b's last sample is at 10m.
                    { eval_time: "4m", alertname: "EdgeSiteDown", exp_alerts: [siteDown("site-c")] },
                    { eval_time: "15m", alertname: "EdgeSiteDown", exp_alerts: [siteDown("site-c")] },
                    { eval_time: "16m", alertname: "EdgeSiteDown", exp_alerts: [siteDown("site-b"), siteDown("site-c")] },
                ],
            },
            {
                name: "TrackingLatencyP99High: fires for p99 ~ 50 ms after 10 minutes, silent for p99 < 10 ms",
                interval: "1m",
                input_series: [...histogram("site-a", "0.01", 600, 40), ...histogram("site-b", "0.05", 600, 40)],
                alert_rule_test: [
                    { eval_time: "9m", alertname: "TrackingLatencyP99High", exp_alerts: [] },
                    {
                        eval_time: "20m",
                        alertname: "TrackingLatencyP99High",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", slo: "tracking-latency", region: REGION, site: "site-b" },
                                exp_annotations: {
                                    summary: "Tracking p99 latency above 30 ms on site site-b",
                                    description: "p99 of tracking HTTP requests is 49.75ms (objective 30 ms) over the last 5 minutes.",
                                },
                            },
                        ],
                    },
                ],
            },
            {
                name: "BrokerDown: container missing or readiness never passing fires; a healthy broker does not",
                interval: "1m",
                input_series: [
                    ...SITES.map((s) => ({ series: `up{job="kubelet", region="${REGION}", site="${s}", node="${s}-srv-a"}`, values: "1x20" })),
                    // site-a: healthy broker, readiness passes every 10 s.
                    cadvisor("site-a", "container_memory_working_set_bytes", "mosquitto", `${9 * MiB}x20`),
                    { series: `prober_probe_total{job="kubelet-probes", region="${REGION}", site="site-a", container="mosquitto", pod="mqtt-broker-1", probe_type="Readiness", result="successful"}`, values: "0+6x20" },
                    // site-b: no broker container at all.
                    // site-c: container runs but readiness has stopped passing.
                    cadvisor("site-c", "container_memory_working_set_bytes", "mosquitto", `${9 * MiB}x20`),
                    { series: `prober_probe_total{job="kubelet-probes", region="${REGION}", site="site-c", container="mosquitto", pod="mqtt-broker-1", probe_type="Readiness", result="successful"}`, values: "0+6x5 30x15" },
                    { series: `prober_probe_total{job="kubelet-probes", region="${REGION}", site="site-c", container="mosquitto", pod="mqtt-broker-1", probe_type="Readiness", result="failed"}`, values: "0x5 0+6x15" },
                ],
                alert_rule_test: [
                    { eval_time: "1m", alertname: "BrokerDown", exp_alerts: [] },
                    {
                        eval_time: "15m",
                        alertname: "BrokerDown",
                        exp_alerts: ["site-b", "site-c"].map((site) => ({
                            exp_labels: { severity: "critical", region: REGION, site },
                            exp_annotations: {
                                summary: `MQTT broker down on site ${site}`,
                                description: "The mosquitto container is not running, or its readiness probe has not passed for 3m, while the site's kubelet reports.",
                            },
                        })),
                    },
                ],
            },
            {
                name: "GatekeeperWebhookDown: no controller (the audit pod does not count), or the API server failing open, fires; a healthy webhook does not",
                interval: "1m",
                input_series: [
                    ...SITES.map((s) => ({ series: `up{job="kubelet", region="${REGION}", site="${s}", node="${s}-srv-a"}`, values: "1x20" })),
                    // site-a and site-c: the controller runs and its readiness passes every 10 s.
                    ...["site-a", "site-c"].flatMap((s) => [
                        { series: `container_memory_working_set_bytes{job="cadvisor", region="${REGION}", site="${s}", namespace="gatekeeper-system", pod="gatekeeper-controller-manager-7d9f-x2", container="manager"}`, values: `${120 * MiB}x20` },
                        { series: `prober_probe_total{job="kubelet-probes", region="${REGION}", site="${s}", namespace="gatekeeper-system", pod="gatekeeper-controller-manager-7d9f-x2", container="manager", probe_type="Readiness", result="successful"}`, values: "0+6x20" },
                    ]),
                    // site-b: only the audit pod runs (same container name), the controller is gone.
                    { series: `container_memory_working_set_bytes{job="cadvisor", region="${REGION}", site="site-b", namespace="gatekeeper-system", pod="gatekeeper-audit-5c8b-q7", container="manager"}`, values: `${90 * MiB}x20` },
                    { series: `prober_probe_total{job="kubelet-probes", region="${REGION}", site="site-b", namespace="gatekeeper-system", pod="gatekeeper-audit-5c8b-q7", container="manager", probe_type="Readiness", result="successful"}`, values: "0+6x20" },
                    // site-a: the API server's fail-open counter exists and stays 0; site-c: the webhook is unreachable
                    // (e.g. a broken NetworkPolicy) and requests are admitted unchecked from minute 5.
                    { series: `apiserver_admission_webhook_fail_open_count{job="apiserver", region="${REGION}", site="site-a", instance="10.0.0.1:6443", name="validation.gatekeeper.sh", type="validating"}`, values: "0x20" },
                    { series: `apiserver_admission_webhook_fail_open_count{job="apiserver", region="${REGION}", site="site-c", instance="10.0.0.3:6443", name="validation.gatekeeper.sh", type="validating"}`, values: "0x5 1+2x15" },
                    // Another webhook failing open is not Gatekeeper's.
                    { series: `apiserver_admission_webhook_fail_open_count{job="apiserver", region="${REGION}", site="site-a", instance="10.0.0.1:6443", name="other.example.com", type="validating"}`, values: "0+5x20" },
                ],
                alert_rule_test: [
                    { eval_time: "1m", alertname: "GatekeeperWebhookDown", exp_alerts: [] },
                    {
                        eval_time: "15m",
                        alertname: "GatekeeperWebhookDown",
                        exp_alerts: ["site-b", "site-c"].map((site) => ({
                            exp_labels: { severity: "critical", region: REGION, site },
                            exp_annotations: {
                                summary: `Gatekeeper admission webhook down on site ${site}: objects are admitted unchecked`,
                                description:
                                    "The Gatekeeper controller (manager container) is not running, its readiness probe has not passed for 3m, or the API server admitted requests without the webhook (fail open) in the last 5m. Gatekeeper's audit reports what was admitted meanwhile.",
                            },
                        })),
                    },
                ],
            },
            {
                name: "ContainerMemoryNearLimit: 94 % of the limit fires after 10 minutes, 39 % does not, no limit is ignored",
                interval: "1m",
                input_series: [
                    cadvisor("site-a", "container_memory_working_set_bytes", "calm", `${100 * MiB}x30`),
                    cadvisor("site-a", "container_spec_memory_limit_bytes", "calm", `${256 * MiB}x30`),
                    cadvisor("site-a", "container_memory_working_set_bytes", "hungry", `${240 * MiB}x30`),
                    cadvisor("site-a", "container_spec_memory_limit_bytes", "hungry", `${256 * MiB}x30`),
                    cadvisor("site-a", "container_memory_working_set_bytes", "unlimited", `${900 * MiB}x30`),
                    cadvisor("site-a", "container_spec_memory_limit_bytes", "unlimited", "0x30"),
                ],
                alert_rule_test: [
                    { eval_time: "5m", alertname: "ContainerMemoryNearLimit", exp_alerts: [] },
                    {
                        eval_time: "15m",
                        alertname: "ContainerMemoryNearLimit",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", region: REGION, site: "site-a", namespace: "edge", pod: "hungry-0", container: "hungry" },
                                exp_annotations: {
                                    summary: "Container edge/hungry-0/hungry on site-a uses more than 85 % of its memory limit",
                                    description: "Working set is 93.75% of the limit; the OOM killer acts at 100 %.",
                                },
                            },
                        ],
                    },
                ],
            },
            {
                name: "ContainerCpuNearLimit: 95 % of a 200m limit fires, 50 % does not",
                interval: "1m",
                input_series: [
                    // usage counters in CPU-seconds: 0.1 core = 6 s/min, 0.19 core = 11.4 s/min; limit 200m = 20000/100000.
                    cadvisor("site-a", "container_cpu_usage_seconds_total", "calm", "0+6x30"),
                    cadvisor("site-a", "container_cpu_usage_seconds_total", "busy", "0+11.4x30"),
                    ...["calm", "busy"].flatMap((c) => [
                        cadvisor("site-a", "container_spec_cpu_quota", c, "20000x30"),
                        cadvisor("site-a", "container_spec_cpu_period", c, "100000x30"),
                    ]),
                ],
                alert_rule_test: [
                    { eval_time: "8m", alertname: "ContainerCpuNearLimit", exp_alerts: [] },
                    {
                        eval_time: "20m",
                        alertname: "ContainerCpuNearLimit",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", region: REGION, site: "site-a", namespace: "edge", pod: "busy-0", container: "busy" },
                                exp_annotations: {
                                    summary: "Container edge/busy-0/busy on site-a uses more than 85 % of its CPU limit",
                                    description: "CPU use is 95% of the limit; above it the container is throttled.",
                                },
                            },
                        ],
                    },
                ],
            },
            {
                name: "SiteHostMemoryNearCapacity: 90 % of a 4 GiB host fires, 50 % does not",
                interval: "1m",
                input_series: [
                    { series: `node_memory_MemTotal_bytes{job="node-exporter", region="${REGION}", site="site-a", node="site-a-srv-a"}`, values: `${4 * GiB}x30` },
                    { series: `node_memory_MemAvailable_bytes{job="node-exporter", region="${REGION}", site="site-a", node="site-a-srv-a"}`, values: `${2 * GiB}x30` },
                    { series: `node_memory_MemTotal_bytes{job="node-exporter", region="${REGION}", site="site-b", node="site-b-srv-a"}`, values: `${4 * GiB}x30` },
                    { series: `node_memory_MemAvailable_bytes{job="node-exporter", region="${REGION}", site="site-b", node="site-b-srv-a"}`, values: `${0.4 * GiB}x30` },
                ],
                alert_rule_test: [
                    { eval_time: "9m", alertname: "SiteHostMemoryNearCapacity", exp_alerts: [] },
                    {
                        eval_time: "12m",
                        alertname: "SiteHostMemoryNearCapacity",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", job: "node-exporter", region: REGION, site: "site-b", node: "site-b-srv-a" },
                                exp_annotations: {
                                    summary: "Host site-b-srv-a on site-b uses more than 85 % of its memory",
                                    description: "Memory in use (MemTotal - MemAvailable) is 90% of the host: the 4 GiB budget is nearly spent.",
                                },
                            },
                        ],
                    },
                ],
            },
        ],
    };
}

function siteDown(site: string) {
    return {
        exp_labels: { severity: "critical", job: "prometheus-agent", region: REGION, site },
        exp_annotations: {
            summary: `Site ${site} has sent no samples for 5m`,
            description: `The hub received nothing from the Prometheus agent of site ${site} (region ${REGION}): the site, its uplink or its agent is down.`,
        },
    };
}

function runUnitTests(rules: unknown): { code: number; output: string } {
    const dir = scratchDir("rules");
    writeYaml(path.join(dir, "alerts.yml"), rules);
    writeYaml(path.join(dir, "tests.yml"), unitTests());
    return promtool(["test", "rules", "tests.yml"], dir);
}

beforeAll(() => requirePromtool());

describe("alert rules", () => {
    it("pass `promtool check rules` (PromQL parses, no duplicate rules)", () => {
        const dir = scratchDir("rules-check");
        writeYaml(path.join(dir, "alerts.yml"), alertRulesFile(REGION, SITES));
        const r = promtool(["check", "rules", "alerts.yml"], dir);
        expect(r.code, r.output).toBe(0);
        expect(r.output).toContain(`SUCCESS: ${SITES.length + 8} rules found`);
    });

    it("fire and stay silent as specified in `promtool test rules`", () => {
        const r = runUnitTests(alertRulesFile(REGION, SITES));
        expect(r.output).toContain("SUCCESS");
        expect(r.code, r.output).toBe(0);
    });

    it("the unit tests catch a changed threshold (p99 objective raised to 60 ms) and a dropped site", () => {
        const raised = JSON.parse(JSON.stringify(alertRulesFile(REGION, SITES)).split(`> ${ALERT_THRESHOLDS.trackingSloSeconds.p99}`).join("> 0.06"));
        const r1 = runUnitTests(raised);
        expect(r1.code).toBe(1);
        expect(r1.output).toMatch(/alertname: TrackingLatencyP99High/);
        const r2 = runUnitTests(alertRulesFile(REGION, ["site-a", "site-b"]));
        expect(r2.code).toBe(1);
        expect(r2.output).toMatch(/alertname: EdgeSiteDown/);
        // Dropping the fail-open clause loses the site whose webhook runs but cannot be reached.
        const noFailOpen = alertRulesFile(REGION, SITES);
        const gk = noFailOpen.groups.flatMap((g) => g.rules).find((r) => r.alert === "GatekeeperWebhookDown")!;
        gk.expr = gk.expr.slice(0, gk.expr.lastIndexOf("\nor\n"));
        expect(JSON.stringify(noFailOpen)).not.toContain("fail_open_count{");
        const r3 = runUnitTests(noFailOpen);
        expect(r3.code).toBe(1);
        expect(r3.output).toMatch(/alertname: GatekeeperWebhookDown/);
    });

    it("rejects a PromQL syntax error with the line (promtool check rules can fail)", () => {
        const dir = scratchDir("rules-bad");
        const rules = alertRulesFile(REGION, SITES);
        rules.groups[1].rules[0].expr = "histogram_quantile(0.99, sum by (le) (rate(x[5m]))";
        writeYaml(path.join(dir, "alerts.yml"), rules);
        const r = promtool(["check", "rules", "alerts.yml"], dir);
        expect(r.code).toBe(1);
        expect(r.output).toMatch(/parse error|unclosed/i);
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
