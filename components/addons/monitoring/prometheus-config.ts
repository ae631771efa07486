/**
 * Pure builders of the Prometheus configuration files: the per-site agent (scrape + remote write) and the
 * regional hub (remote-write receiver + alert rules). Config in, plain objects out; `renderYaml` makes the text.
 */
import * as yaml from "js-yaml";
import { JOBS, MONITORING_NAMESPACE, NODE_EXPORTER_NAME, NODE_EXPORTER_PORT, PROMETHEUS_PORT, TRACKING_POD_LABEL } from "./names";

/** Where the pod's service-account credentials are mounted (the kubelet/apiserver scrapes use them). */
export const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
export const CONFIG_DIR = "/etc/prometheus";
/** Mounted from the Secret holding this site's remote-write password. */
export const REMOTE_WRITE_PASSWORD_FILE = "/etc/prometheus/remote-write/password";
/** Mounted from the hub Secret: the reader password (hub self-scrape) and web.yml (bcrypt users). */
export const HUB_READER_PASSWORD_FILE = "/etc/prometheus/web/reader-password";
export const HUB_WEB_CONFIG_FILE = "/etc/prometheus/web/web.yml";
export const HUB_RULES_DIR = "/etc/prometheus/rules";
/** The region TLS CA certificate (ConfigMap), which every client of the hub pins. */
export const REGION_CA_FILE = "/etc/prometheus/region-ca/ca.crt";
/** The hub's server certificate chain and key (Secret of type kubernetes.io/tls). */
export const HUB_TLS_CERT_FILE = "/etc/prometheus/tls/tls.crt";
export const HUB_TLS_KEY_FILE = "/etc/prometheus/tls/tls.key";
/** Oldest TLS version on either side of the hub's listener. */
export const MIN_TLS_VERSION = "TLS12";

/** Everything kept from the K3s process endpoints: K3s serves one shared registry on each, so keep a short list. */
export const KEEP_METRICS = {
    kubelet: ["kubelet_running_pods", "kubelet_running_containers", "kubelet_node_name", "process_resident_memory_bytes", "process_cpu_seconds_total"],
    cadvisor: [
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "container_spec_memory_limit_bytes",
        "container_spec_cpu_quota",
        "container_spec_cpu_period",
        "container_network_receive_bytes_total",
        "container_network_transmit_bytes_total",
    ],
    probes: ["prober_probe_total"],
    apiserver: [
        "apiserver_request_total",
        "apiserver_current_inflight_requests",
        // Requests admitted unchecked because a webhook with failurePolicy Ignore did not answer (Gatekeeper's).
        "apiserver_admission_webhook_fail_open_count",
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
    ],
} as const;

export interface AgentConfigInput {
    region: string;
    siteId: string;
    /** https://host:port/api/v1/write of the regional hub. */
    remoteWriteUrl: string;
    remoteWriteUser: string;
    /** The name the hub's certificate must carry for that URL (its host, without IPv6 brackets). */
    remoteWriteServerName: string;
    trackingPort: number;
    scrapeInterval?: string;
}

export type PromConfig = Record<string, unknown>;

const keepNames = (names: readonly string[]) => [{ source_labels: ["__name__"], regex: `(${names.join("|")})`, action: "keep" }];

const serviceAccountAuth = {
    scheme: "https",
    tls_config: { ca_file: `${SA_DIR}/ca.crt` },
    authorization: { credentials_file: `${SA_DIR}/token` },
};

/**
 * A kubelet scraped directly on its own port (the node role's address, InternalIP:10250) with the agent's
 * service-account token. The kubelet authorizes every /metrics* path as `nodes/metrics`, so the agent needs no
 * `nodes/proxy` (which would let it run commands in any pod through the API server). The kubelet's serving
 * certificate is signed by K3s' server CA, the CA in the service-account mount [verify on a real node].
 */
function kubeletJob(job: string, path: string, keep: readonly string[]) {
    return {
        job_name: job,
        ...serviceAccountAuth,
        metrics_path: path,
        kubernetes_sd_configs: [{ role: "node" }],
        relabel_configs: [
            { source_labels: ["__meta_kubernetes_node_name"], target_label: "instance" },
            { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
        ],
        metric_relabel_configs: keepNames(keep),
    };
}

export function agentConfig(input: AgentConfigInput): PromConfig {
    const interval = input.scrapeInterval ?? "30s";
    return {
        global: {
            scrape_interval: interval,
            scrape_timeout: "10s",
            external_labels: { region: input.region, site: input.siteId },
        },
        scrape_configs: [
            // The agent's own `up` is the site heartbeat the hub's EdgeSiteDown alert watches.
            { job_name: JOBS.agent, static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`] }] },
            {
                job_name: JOBS.nodeExporter,
                kubernetes_sd_configs: [
                    {
                        role: "pod",
                        namespaces: { names: [MONITORING_NAMESPACE] },
                        selectors: [{ role: "pod", label: `app.kubernetes.io/name=${NODE_EXPORTER_NAME}` }],
                    },
                ],
                relabel_configs: [
                    { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: String(NODE_EXPORTER_PORT), action: "keep" },
                    { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "instance" },
                    { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
                ],
            },
            kubeletJob(JOBS.kubelet, "/metrics", KEEP_METRICS.kubelet),
            kubeletJob(JOBS.cadvisor, "/metrics/cadvisor", KEEP_METRICS.cadvisor),
            kubeletJob(JOBS.probes, "/metrics/probes", KEEP_METRICS.probes),
            {
                job_name: JOBS.apiserver,
                ...serviceAccountAuth,
                kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: ["default"] } }],
                relabel_configs: [
                    {
                        source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
                        regex: "kubernetes;https",
                        action: "keep",
                    },
                ],
                metric_relabel_configs: keepNames(KEEP_METRICS.apiserver),
            },
            {
                job_name: JOBS.tracking,
                kubernetes_sd_configs: [{ role: "pod", selectors: [{ role: "pod", label: `${TRACKING_POD_LABEL.key}=${TRACKING_POD_LABEL.value}` }] }],
                relabel_configs: [
                    { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Running", action: "keep" },
                    { source_labels: ["__meta_kubernetes_pod_container_init"], regex: "true", action: "drop" },
                    // One target per pod: the declared HTTP port, or the pod itself when it declares no port.
                    { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: `(${input.trackingPort})?`, action: "keep" },
                    { source_labels: ["__meta_kubernetes_pod_ip"], regex: "(.+)", target_label: "__address__", replacement: `$1:${input.trackingPort}` },
                    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
                    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
                    { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
                ],
            },
        ],
        remote_write: [
            {
                url: input.remoteWriteUrl,
                basic_auth: { username: input.remoteWriteUser, password_file: REMOTE_WRITE_PASSWORD_FILE },
                // The hub's certificate must chain to the region CA and name the host dialled; nothing else is trusted.
                tls_config: { ca_file: REGION_CA_FILE, server_name: input.remoteWriteServerName, min_version: MIN_TLS_VERSION },
                // Small queues: a site sends a few thousand series; a down hub must not grow the agent past its limit.
                queue_config: { capacity: 2500, max_shards: 2, min_shards: 1, max_samples_per_send: 1000, batch_send_deadline: "10s" },
            },
        ],
    };
}

export interface HubConfigInput {
    region: string;
    hubSiteId: string;
    readerUser: string;
    /** The name on the hub's certificate its self-scrape checks (the in-cluster Service name). */
    serverName: string;
    evaluationInterval?: string;
}

export function hubConfig(input: HubConfigInput): PromConfig {
    return {
        global: {
            scrape_interval: "30s",
            evaluation_interval: input.evaluationInterval ?? "30s",
            external_labels: { region: input.region },
        },
        rule_files: [`${HUB_RULES_DIR}/*.yml`],
        scrape_configs: [
            {
                // The hub's web endpoints require TLS and basic auth, its own /metrics included.
                job_name: JOBS.hub,
                scheme: "https",
                tls_config: { ca_file: REGION_CA_FILE, server_name: input.serverName, min_version: MIN_TLS_VERSION },
                basic_auth: { username: input.readerUser, password_file: HUB_READER_PASSWORD_FILE },
                static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`], labels: { site: input.hubSiteId } }],
            },
        ],
    };
}

/**
 * A well-formed bcrypt hash nobody can log in with: the hash of 48 random bytes whose plaintext was discarded when
 * it was made (like `*` in /etc/shadow). Stands in for a user whose hash the engine did not return (only under
 * mocks), so Prometheus still starts (it refuses an empty hash) and that user stays locked out.
 */
export const LOCKED_BCRYPT_HASH = "$2b$10$27QCRjq3/Hw7.n/Qy5xXA.pUA/XSEjBEVx5O1pZf.t504KCHxJIAa";

export interface WebTlsFiles {
    certFile: string;
    keyFile: string;
}

/**
 * Prometheus exporter-toolkit web config (`--web.config.file`): the listener serves TLS only (its certificate chain
 * from the region CA) and every request needs the bcrypt-hashed basic auth of one of `users`.
 */
export function hubWebConfig(users: Record<string, string>, tlsFiles: WebTlsFiles = { certFile: HUB_TLS_CERT_FILE, keyFile: HUB_TLS_KEY_FILE }): PromConfig {
    if (Object.keys(users).length === 0) throw new Error("hub web config: no users; an empty basic_auth_users would switch authentication off");
    for (const [user, hash] of Object.entries(users)) {
        if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) throw new Error(`hub web config: the password hash of ${user} is not a bcrypt hash`);
    }
    return {
        tls_server_config: { cert_file: tlsFiles.certFile, key_file: tlsFiles.keyFile, min_version: MIN_TLS_VERSION },
        basic_auth_users: users,
    };
}

export function renderYaml(doc: unknown, header?: string): string {
    const body = yaml.dump(doc, { lineWidth: -1, noRefs: true, sortKeys: false });
    return header ? `# ${header}\n${body}` : body;
}
