/**
 * Alert rules evaluated on the regional hub, over the samples every site remote-writes (each carries the
 * `region` and `site` labels from its agent's external_labels). Thresholds live in ALERT_THRESHOLDS so the
 * rules, the dashboards and docs/monitoring.md quote the same numbers.
 */
import { GATEKEEPER_NAMESPACE } from "../gatekeeper/policy";
import { BROKER_CONTAINER, GATEKEEPER_WEBHOOK, JOBS } from "./names";

export const ALERT_THRESHOLDS = {
    /** A site is down after this long without a single sample arriving at the hub. */
    siteSilence: "5m",
    /** Tracking SLO: p50 <= 15 ms, p99 <= 30 ms, p99.9 <= 50 ms. The p99 objective is the alert. */
    trackingSloSeconds: { p50: 0.015, p99: 0.03, p999: 0.05 },
    trackingP99For: "10m",
    /** The broker is down when its container is gone or its readiness probe has not passed for this long. */
    brokerProbeWindow: "3m",
    brokerDownFor: "2m",
    /** Gatekeeper's one webhook replica: down like the broker, or any request the API server admitted unchecked. */
    gatekeeperProbeWindow: "3m",
    gatekeeperDownFor: "2m",
    gatekeeperFailOpenWindow: "5m",
    /** Near budget: usage above this fraction of the container's limit (or of the host's memory). */
    nearBudgetRatio: 0.85,
    nearBudgetFor: "10m",
    /** K3s certificates: alert this many days before the earliest one on a server expires (renewal needs a K3s restart). */
    certificateWarningDays: 30,
    certificateFor: "10m",
    /** Datastore snapshots run every 6 h by default: a server whose newest snapshot is older than this has stopped. */
    snapshotMaxAgeHours: 36,
    snapshotStaleFor: "30m",
} as const;

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
}

export interface RuleGroup {
    name: string;
    interval?: string;
    rules: AlertRule[];
}

const ctr = `container!="", container!="POD"`;

/**
 * A site's workload is down while its kubelet reports: the container (cAdvisor, `selector`) is not there, or its
 * readiness probe (kubelet probe metrics, same selector) has not passed once in `window`.
 */
function workloadDownExpr(selector: string, window: string): string[] {
    return [
        `(`,
        `  group by (region, site) (up{job="${JOBS.kubelet}"} == 1)`,
        `  unless on (region, site)`,
        `  group by (region, site) (container_memory_working_set_bytes{job="${JOBS.cadvisor}", ${selector}})`,
        `)`,
        `or`,
        `(`,
        `  sum by (region, site) (increase(prober_probe_total{job="${JOBS.probes}", ${selector}, probe_type="Readiness", result="successful"}[${window}])) == 0`,
        `)`,
    ];
}
const byContainer = "region, site, namespace, pod, container";

export function siteDownRules(region: string, siteIds: string[]): AlertRule[] {
    // One rule per configured site: absent_over_time also catches a site that has never reported.
    return siteIds.map((site) => ({
        alert: "EdgeSiteDown",
        expr: `absent_over_time(up{job="${JOBS.agent}", region="${region}", site="${site}"}[${ALERT_THRESHOLDS.siteSilence}])`,
        // The site label makes each rule distinct (promtool rejects identical name + labels) and is set even when absent.
        labels: { severity: "critical", site },
        annotations: {
            summary: `Site ${site} has sent no samples for ${ALERT_THRESHOLDS.siteSilence}`,
            description: `The hub received nothing from the Prometheus agent of site ${site} (region ${region}): the site, its uplink or its agent is down.`,
        },
    }));
}

/** From the host metrics each K3s server writes for node-exporter's textfile collector (datastore-snapshot.sh). */
export function certificateAndBackupRules(): AlertRule[] {
    const t = ALERT_THRESHOLDS;
    const byNode = "region, site, node";
    return [
        {
            alert: "CertificateExpiringSoon",
            expr: `min by (${byNode}) (edge_k3s_certificate_expiry_timestamp_seconds{job="${JOBS.nodeExporter}"}) - time() < ${t.certificateWarningDays} * 86400`,
            for: t.certificateFor,
            labels: { severity: "warning" },
            annotations: {
                summary: `A K3s certificate on {{ $labels.node }} (site {{ $labels.site }}) expires within ${t.certificateWarningDays} days`,
                description: "The earliest K3s certificate on this server expires in {{ $value | humanizeDuration }}. K3s renews certificates only when it starts: rotate them wave by wave (docs/day2.md, certificate rotation).",
            },
        },
        {
            alert: "DatastoreSnapshotStale",
            expr: `time() - max by (${byNode}) (edge_datastore_last_snapshot_timestamp_seconds{job="${JOBS.nodeExporter}"}) > ${t.snapshotMaxAgeHours} * 3600`,
            for: t.snapshotStaleFor,
            labels: { severity: "warning" },
            annotations: {
                summary: `No datastore snapshot on {{ $labels.node }} (site {{ $labels.site }}) for ${t.snapshotMaxAgeHours} hours`,
                description: "The newest K3s datastore snapshot on this server is {{ $value | humanizeDuration }} old: the etcd snapshot schedule or the SQLite backup timer is not running (docs/day2.md, restore from snapshot).",
            },
        },
    ];
}

export function alertRuleGroups(region: string, siteIds: string[]): RuleGroup[] {
    const t = ALERT_THRESHOLDS;
    const ratio = String(t.nearBudgetRatio);
    const pct = `${Math.round(t.nearBudgetRatio * 100)} %`;
    return [
        { name: "edge-site-heartbeat", rules: siteDownRules(region, siteIds) },
        { name: "edge-certificates-and-backups", rules: certificateAndBackupRules() },
        {
            name: "edge-tracking-slo",
            rules: [
                {
                    alert: "TrackingLatencyP99High",
                    expr:
                        `histogram_quantile(0.99, sum by (region, site, le) (rate(tracking_http_request_duration_seconds_bucket{job="${JOBS.tracking}"}[5m])))` +
                        ` > ${t.trackingSloSeconds.p99}`,
                    for: t.trackingP99For,
                    labels: { severity: "warning", slo: "tracking-latency" },
                    annotations: {
                        summary: "Tracking p99 latency above 30 ms on site {{ $labels.site }}",
                        description: "p99 of tracking HTTP requests is {{ $value | humanizeDuration }} (objective 30 ms) over the last 5 minutes.",
                    },
                },
            ],
        },
        {
            name: "edge-broker",
            rules: [
                {
                    alert: "BrokerDown",
                    expr: workloadDownExpr(`container="${BROKER_CONTAINER}"`, t.brokerProbeWindow).join("\n"),
                    for: t.brokerDownFor,
                    labels: { severity: "critical" },
                    annotations: {
                        summary: "MQTT broker down on site {{ $labels.site }}",
                        description: `The ${BROKER_CONTAINER} container is not running, or its readiness probe has not passed for ${t.brokerProbeWindow}, while the site's kubelet reports.`,
                    },
                },
            ],
        },
        {
            // Gatekeeper fails open (README, "Least privilege"): while its webhook is down everything is admitted
            // unchecked, so that window is an alert, not a silence.
            name: "edge-gatekeeper",
            rules: [
                {
                    alert: "GatekeeperWebhookDown",
                    expr: [
                        ...workloadDownExpr(`namespace="${GATEKEEPER_NAMESPACE}", pod=~"${GATEKEEPER_WEBHOOK.podPattern}", container="${GATEKEEPER_WEBHOOK.container}"`, t.gatekeeperProbeWindow),
                        `or`,
                        `(`,
                        `  sum by (region, site) (increase(apiserver_admission_webhook_fail_open_count{job="${JOBS.apiserver}", name=~"${GATEKEEPER_WEBHOOK.webhookPattern}"}[${t.gatekeeperFailOpenWindow}])) > 0`,
                        `)`,
                    ].join("\n"),
                    for: t.gatekeeperDownFor,
                    labels: { severity: "critical" },
                    annotations: {
                        summary: "Gatekeeper admission webhook down on site {{ $labels.site }}: objects are admitted unchecked",
                        description:
                            `The Gatekeeper controller (${GATEKEEPER_WEBHOOK.container} container) is not running, its readiness probe has not passed for ${t.gatekeeperProbeWindow}, ` +
                            `or the API server admitted requests without the webhook (fail open) in the last ${t.gatekeeperFailOpenWindow}. Gatekeeper's audit reports what was admitted meanwhile.`,
                    },
                },
            ],
        },
        {
            name: "edge-budget",
            rules: [
                {
                    alert: "ContainerMemoryNearLimit",
                    expr: [
                        `max by (${byContainer}) (container_memory_working_set_bytes{job="${JOBS.cadvisor}", ${ctr}})`,
                        `/ on (${byContainer})`,
                        `max by (${byContainer}) (container_spec_memory_limit_bytes{job="${JOBS.cadvisor}", ${ctr}} > 0)`,
                        `> ${ratio}`,
                    ].join("\n"),
                    for: t.nearBudgetFor,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} on {{ $labels.site }} uses more than ${pct} of its memory limit`,
                        description: "Working set is {{ $value | humanizePercentage }} of the limit; the OOM killer acts at 100 %.",
                    },
                },
                {
                    alert: "ContainerCpuNearLimit",
                    expr: [
                        `sum by (${byContainer}) (rate(container_cpu_usage_seconds_total{job="${JOBS.cadvisor}", ${ctr}}[5m]))`,
                        `/ on (${byContainer})`,
                        `(`,
                        `  max by (${byContainer}) (container_spec_cpu_quota{job="${JOBS.cadvisor}", ${ctr}} > 0)`,
                        `  / on (${byContainer})`,
                        `  max by (${byContainer}) (container_spec_cpu_period{job="${JOBS.cadvisor}", ${ctr}})`,
                        `)`,
                        `> ${ratio}`,
                    ].join("\n"),
                    for: t.nearBudgetFor,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `Container {{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }} on {{ $labels.site }} uses more than ${pct} of its CPU limit`,
                        description: "CPU use is {{ $value | humanizePercentage }} of the limit; above it the container is throttled.",
                    },
                },
                {
                    alert: "SiteHostMemoryNearCapacity",
                    expr: `1 - node_memory_MemAvailable_bytes{job="${JOBS.nodeExporter}"} / node_memory_MemTotal_bytes{job="${JOBS.nodeExporter}"} > ${ratio}`,
                    for: t.nearBudgetFor,
                    labels: { severity: "warning" },
                    annotations: {
                        summary: `Host {{ $labels.node }} on {{ $labels.site }} uses more than ${pct} of its memory`,
                        description: "Memory in use (MemTotal - MemAvailable) is {{ $value | humanizePercentage }} of the host: the 4 GiB budget is nearly spent.",
                    },
                },
            ],
        },
    ];
}

export function alertRulesFile(region: string, siteIds: string[]) {
    return { groups: alertRuleGroups(region, siteIds) };
}
