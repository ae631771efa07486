/**
 * Pure builders of the monitoring Kubernetes objects: per site (agent + node-exporter) and, on the hub site only,
 * the regional hub (Prometheus receiver + Grafana). Secret values arrive as opaque inputs (Pulumi secrets in the
 * wiring) and are placed only in Secret objects.
 */
import type { Input } from "@pulumi/pulumi";
import type { ContainerResources, EstateConfig, Versions } from "../../config/types";
import { componentBudget, hubOf, type SitePlan } from "../../plan";
import { toBytes } from "../../config/quantity";
import { TEXTFILE_DIR } from "../backups/datastore";
import type { KubeObject } from "../../k8s/apply";
import { allDashboards } from "./dashboards";
import { GRAFANA_DASHBOARD_DIR, GRAFANA_TLS_DIR, grafanaDashboardProviders, grafanaDatasources, hubServiceName, READER_PASSWORD_ENV, REGION_CA_ENV } from "./grafana";
import { pinnedImage as monitoringImage } from "../../pins";
import {
    AGENT_NAME,
    commonLabels,
    GRAFANA_NAME,
    GRAFANA_NODE_PORT,
    GRAFANA_PORT,
    HUB_PROMETHEUS_NAME,
    HUB_READER_USER,
    HUB_REMOTE_WRITE_NODE_PORT,
    MONITORING_NAMESPACE,
    NODE_EXPORTER_NAME,
    NODE_EXPORTER_PORT,
    PROMETHEUS_PORT,
    remoteWriteUser,
} from "./names";
import {
    agentConfig,
    CONFIG_DIR,
    HUB_READER_PASSWORD_FILE,
    HUB_RULES_DIR,
    HUB_TLS_CERT_FILE,
    HUB_WEB_CONFIG_FILE,
    hubConfig,
    REGION_CA_FILE,
    REMOTE_WRITE_PASSWORD_FILE,
    renderYaml,
} from "./prometheus-config";
import { alertRulesFile } from "./rules";
import { siteLabels } from "../../constants";
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum } from "../../constants";

const NS = MONITORING_NAMESPACE;
const NOBODY = 65534;
const GRAFANA_UID = 472;
const HUB_STORAGE = "10Gi";
const HUB_RETENTION = { time: "15d", size: "8GB" };
const dirOf = (file: string) => file.replace(/\/[^/]+$/, "");

/** ConfigMap of the region TLS CA certificate (public) in the monitoring namespace: the hub's clients pin it. */
export const REGION_CA_CONFIGMAP = "region-tls-ca";
export const REGION_CA_KEY = "ca.crt";

/** A ConfigMap or Secret of the monitoring namespace; Secrets get their values as `stringData`. */
function configMap(name: string, labels: Record<string, string>, data: Record<string, Input<string>>): KubeObject {
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: NS, labels }, data };
}
function secret(name: string, labels: Record<string, string>, stringData: Record<string, Input<string>>, type = "Opaque"): KubeObject {
    return { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: NS, labels }, type, stringData };
}

/**
 * One pod of `name`, never two at once (Recreate): two agents would write the same series twice, two hubs or two
 * Grafanas would share one volume.
 */
function singletonDeployment(name: string, labels: Record<string, string>, annotations: Record<string, Input<string>>, podSpec: Record<string, unknown>): KubeObject {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: NS, labels },
        spec: {
            replicas: 1,
            strategy: { type: "Recreate" },
            selector: { matchLabels: { "app.kubernetes.io/name": name } },
            template: { metadata: { labels, annotations }, spec: podSpec },
        },
    };
}

/** A server certificate chain (leaf, then the region CA) and its key (secret). */
export interface TlsPair {
    chainPem: Input<string>;
    keyPem: Input<string>;
    /** Digest of the chain: the pod rolls when its certificate is renewed. */
    chainHash?: Input<string>;
}
/** A kubernetes.io/tls Secret: `tls.crt` (the chain) and `tls.key`. */
const tlsSecret = (name: string, labels: Record<string, string>, pair: TlsPair) => secret(name, labels, { "tls.crt": pair.chainPem, "tls.key": pair.keyPem }, "kubernetes.io/tls");
const certHashAnnotation = (pair: TlsPair): Record<string, Input<string>> => (pair.chainHash !== undefined ? { "edge-estate/tls-cert-hash": pair.chainHash } : {});

/** A hub Service reachable from the other sites on every node's `nodePort`. */
function nodePortService(name: string, labels: Record<string, string>, port: number, nodePort: number): KubeObject {
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: NS, labels },
        spec: {
            type: "NodePort",
            selector: { "app.kubernetes.io/name": name },
            ports: [{ name: "https", port, targetPort: port, nodePort, protocol: "TCP" }],
        },
    };
}

/** Go runtime soft limit at 80 % of the memory limit, so the GC works harder before the OOM killer acts. */
function goMemLimit(r: ContainerResources): string {
    return String(Math.floor(toBytes(r.limits.memory) * 0.8));
}

const restricted = (uid: number) => ({
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
});

/** Where a site's agent sends its samples: the hub's NodePort, or the in-cluster Service on the hub site itself. */
export function remoteWriteUrl(plan: SitePlan): string {
    if (plan.isHub) return `https://${hubServiceName()}:${PROMETHEUS_PORT}/api/v1/write`;
    return `${hubNodePortUrl(plan.config)}/api/v1/write`;
}

/** The name the hub's certificate is checked for by a site's agent: the host of `remoteWriteUrl`, unbracketed. */
export function remoteWriteServerName(plan: SitePlan): string {
    return plan.isHub ? hubServiceName() : plan.hub.urlHost.replace(/^\[(.*)\]$/, "$1");
}

/** The hub Prometheus from outside its cluster: its first server's NodePort (the rollout gate queries it too). */
export function hubNodePortUrl(config: EstateConfig): string {
    return `https://${hubOf(config).urlHost}:${HUB_REMOTE_WRITE_NODE_PORT}`;
}

export const AGENT_SECRET = `${AGENT_NAME}-remote-write`;

/**
 * Objects every site gets. `remoteWritePassword` is this site's secret password on the hub; `regionCaPem` the
 * region TLS CA certificate the agent pins for the hub (ConfigMap `region-tls-ca`, which Grafana reads too).
 */
export function siteMonitoringObjects(plan: SitePlan, remoteWritePassword: Input<string>, regionCaPem: Input<string>): KubeObject[] {
    const { config, site, versions } = plan;
    const agentLabels = commonLabels(site.id, AGENT_NAME);
    const exporterLabels = commonLabels(site.id, NODE_EXPORTER_NAME);
    const agentResources = componentBudget(config, "prometheusAgent");
    const exporterResources = componentBudget(config, "nodeExporter");
    const promYaml = renderYaml(
        agentConfig({
            region: config.region,
            siteId: site.id,
            remoteWriteUrl: remoteWriteUrl(plan),
            remoteWriteUser: remoteWriteUser(site.id),
            remoteWriteServerName: remoteWriteServerName(plan),
            trackingPort: config.tracking.httpPort,
        }),
        `Prometheus agent of site ${site.id}; generated by edge-estate, edits are overwritten.`,
    );
    const prometheusImage = monitoringImage("prometheus", versions);
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: NS, labels: siteLabels(site.id) } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: AGENT_NAME, namespace: NS, labels: agentLabels } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: `edge-monitoring-${AGENT_NAME}`, labels: agentLabels },
            rules: [
                // Discovery of nodes, pods and the API server endpoints; kubelet metrics on the kubelet itself
                // (nodes/metrics). No nodes/proxy: it would reach every kubelet API, exec included.
                { apiGroups: [""], resources: ["nodes", "pods", "services", "endpoints"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
                { nonResourceURLs: ["/metrics"], verbs: ["get"] },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: `edge-monitoring-${AGENT_NAME}`, labels: agentLabels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `edge-monitoring-${AGENT_NAME}` },
            subjects: [{ kind: "ServiceAccount", name: AGENT_NAME, namespace: NS }],
        },
        configMap(`${AGENT_NAME}-config`, agentLabels, { "prometheus.yml": promYaml }),
        configMap(REGION_CA_CONFIGMAP, siteLabels(site.id), { [REGION_CA_KEY]: regionCaPem }),
        secret(AGENT_SECRET, agentLabels, { password: remoteWritePassword }),
        singletonDeployment(AGENT_NAME, agentLabels, { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(promYaml) }, {
            serviceAccountName: AGENT_NAME,
            securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, fsGroup: NOBODY, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "prometheus",
                    image: prometheusImage,
                    args: [
                        `--config.file=${CONFIG_DIR}/config/prometheus.yml`,
                        "--enable-feature=agent",
                        "--storage.agent.path=/prometheus",
                        // Keep at most 2 h of unsent samples while the hub is unreachable.
                        "--storage.agent.retention.max-time=2h",
                        `--web.listen-address=:${PROMETHEUS_PORT}`,
                    ],
                    env: [{ name: "GOMEMLIMIT", value: goMemLimit(agentResources) }],
                    ports: [{ name: "http", containerPort: PROMETHEUS_PORT }],
                    resources: agentResources,
                    livenessProbe: { httpGet: { path: "/-/healthy", port: PROMETHEUS_PORT }, periodSeconds: 30, failureThreshold: 4 },
                    readinessProbe: { httpGet: { path: "/-/ready", port: PROMETHEUS_PORT }, periodSeconds: 10 },
                    securityContext: restricted(NOBODY),
                    volumeMounts: [
                        { name: "config", mountPath: `${CONFIG_DIR}/config`, readOnly: true },
                        { name: "remote-write", mountPath: dirOf(REMOTE_WRITE_PASSWORD_FILE), readOnly: true },
                        { name: "region-ca", mountPath: dirOf(REGION_CA_FILE), readOnly: true },
                        { name: "wal", mountPath: "/prometheus" },
                    ],
                },
            ],
            volumes: [
                { name: "config", configMap: { name: `${AGENT_NAME}-config` } },
                { name: "remote-write", secret: { secretName: AGENT_SECRET, defaultMode: 0o440 } },
                { name: "region-ca", configMap: { name: REGION_CA_CONFIGMAP, defaultMode: 0o444 } },
                { name: "wal", emptyDir: { sizeLimit: "1Gi" } },
            ],
        }),
        {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: NODE_EXPORTER_NAME, namespace: NS, labels: exporterLabels },
            spec: {
                selector: { matchLabels: { "app.kubernetes.io/name": NODE_EXPORTER_NAME } },
                updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                template: {
                    metadata: { labels: exporterLabels },
                    spec: {
                        // Host network and PID namespace: the node's own interfaces and processes, not the pod's.
                        hostNetwork: true,
                        hostPID: true,
                        automountServiceAccountToken: false,
                        securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, seccompProfile: { type: "RuntimeDefault" } },
                        // Every host, tainted ones included, reports.
                        tolerations: [{ operator: "Exists" }],
                        containers: [
                            {
                                name: NODE_EXPORTER_NAME,
                                image: monitoringImage("nodeExporter", versions),
                                args: [
                                    "--path.rootfs=/host/root",
                                    `--web.listen-address=:${NODE_EXPORTER_PORT}`,
                                    "--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run/k3s|var/lib/kubelet/pods/.+)($|/)",
                                    // Certificate expiry and snapshot time, written on servers by the datastore-backup step.
                                    `--collector.textfile.directory=/host/root${TEXTFILE_DIR}`,
                                ],
                                ports: [{ name: "metrics", containerPort: NODE_EXPORTER_PORT, hostPort: NODE_EXPORTER_PORT }],
                                resources: exporterResources,
                                livenessProbe: { httpGet: { path: "/", port: NODE_EXPORTER_PORT }, periodSeconds: 30 },
                                readinessProbe: { httpGet: { path: "/", port: NODE_EXPORTER_PORT }, periodSeconds: 10 },
                                securityContext: restricted(NOBODY),
                                volumeMounts: [{ name: "root", mountPath: "/host/root", readOnly: true, mountPropagation: "HostToContainer" }],
                            },
                        ],
                        volumes: [{ name: "root", hostPath: { path: "/" } }],
                    },
                },
            },
        },
    ];
}

export interface HubSecrets {
    /** Prometheus web.yml with the bcrypt hash of every site user and the reader (secret). */
    webConfigYaml: Input<string>;
    readerPassword: Input<string>;
    grafanaAdminPassword: Input<string>;
    /** Server certificates from the region TLS CA: the hub's receiver (NodePort 30990) and Grafana (30300). */
    hubTls: TlsPair;
    grafanaTls: TlsPair;
}

export const HUB_SECRET = `${HUB_PROMETHEUS_NAME}-auth`;
export const GRAFANA_SECRET = `${GRAFANA_NAME}-auth`;
export const HUB_TLS_SECRET = `${HUB_PROMETHEUS_NAME}-tls`;
export const GRAFANA_TLS_SECRET = `${GRAFANA_NAME}-tls`;

/** Hub users: one remote-write user per site plus the reader. */
export function hubUsers(config: EstateConfig): string[] {
    return [...config.sites.map((s) => remoteWriteUser(s.id)), HUB_READER_USER];
}

/** The regional hub; only the site named by monitoring.hubSite gets these. */
export function hubMonitoringObjects(config: EstateConfig, versions: Versions, secrets: HubSecrets): KubeObject[] {
    const hubSite = config.monitoring.hubSite;
    const promLabels = commonLabels(hubSite, HUB_PROMETHEUS_NAME);
    const grafanaLabels = commonLabels(hubSite, GRAFANA_NAME);
    const hubResources = componentBudget(config, "prometheusHub");
    const grafanaResources = componentBudget(config, "grafana");
    const promYaml = renderYaml(hubConfig({ region: config.region, hubSiteId: hubSite, readerUser: HUB_READER_USER, serverName: hubServiceName() }), `Regional Prometheus hub of ${config.region}; generated by edge-estate.`);
    const rulesYaml = renderYaml(alertRulesFile(config.region, config.sites.map((s) => s.id)), `Alert rules of region ${config.region}; generated by edge-estate.`);
    const dashboards = allDashboards(config);
    const dashboardData = Object.fromEntries(dashboards.map((d) => [`${d.uid}.json`, `${JSON.stringify(d, null, 2)}\n`]));
    const datasourcesYaml = renderYaml(grafanaDatasources());
    const providersYaml = renderYaml(grafanaDashboardProviders());
    const webDir = dirOf(HUB_WEB_CONFIG_FILE);
    return [
        configMap(`${HUB_PROMETHEUS_NAME}-config`, promLabels, { "prometheus.yml": promYaml }),
        configMap(`${HUB_PROMETHEUS_NAME}-rules`, promLabels, { "alerts.yml": rulesYaml }),
        secret(HUB_SECRET, promLabels, { "web.yml": secrets.webConfigYaml, "reader-password": secrets.readerPassword }),
        tlsSecret(HUB_TLS_SECRET, promLabels, secrets.hubTls),
        {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: `${HUB_PROMETHEUS_NAME}-data`, namespace: NS, labels: promLabels },
            // K3s's bundled local-path provisioner: the TSDB lives on the hub host's disk.
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: "local-path", resources: { requests: { storage: HUB_STORAGE } } },
        },
        singletonDeployment(HUB_PROMETHEUS_NAME, promLabels, { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(promYaml + rulesYaml), ...certHashAnnotation(secrets.hubTls) }, {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: NOBODY, runAsGroup: NOBODY, fsGroup: NOBODY, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
                {
                    name: "prometheus",
                    image: monitoringImage("prometheus", versions),
                    args: [
                        `--config.file=${CONFIG_DIR}/config/prometheus.yml`,
                        "--storage.tsdb.path=/prometheus",
                        `--storage.tsdb.retention.time=${HUB_RETENTION.time}`,
                        `--storage.tsdb.retention.size=${HUB_RETENTION.size}`,
                        "--web.enable-remote-write-receiver",
                        `--web.config.file=${HUB_WEB_CONFIG_FILE}`,
                        `--web.listen-address=:${PROMETHEUS_PORT}`,
                    ],
                    env: [{ name: "GOMEMLIMIT", value: goMemLimit(hubResources) }],
                    ports: [{ name: "https", containerPort: PROMETHEUS_PORT }],
                    resources: hubResources,
                    // Every HTTP endpoint needs TLS and basic auth, so the kubelet probes the socket.
                    livenessProbe: { tcpSocket: { port: PROMETHEUS_PORT }, periodSeconds: 30, failureThreshold: 4 },
                    readinessProbe: { tcpSocket: { port: PROMETHEUS_PORT }, periodSeconds: 10 },
                    securityContext: restricted(NOBODY),
                    volumeMounts: [
                        { name: "config", mountPath: `${CONFIG_DIR}/config`, readOnly: true },
                        { name: "rules", mountPath: HUB_RULES_DIR, readOnly: true },
                        { name: "auth", mountPath: webDir, readOnly: true },
                        { name: "tls", mountPath: dirOf(HUB_TLS_CERT_FILE), readOnly: true },
                        { name: "region-ca", mountPath: dirOf(REGION_CA_FILE), readOnly: true },
                        { name: "data", mountPath: "/prometheus" },
                    ],
                },
            ],
            volumes: [
                { name: "config", configMap: { name: `${HUB_PROMETHEUS_NAME}-config` } },
                { name: "rules", configMap: { name: `${HUB_PROMETHEUS_NAME}-rules` } },
                { name: "auth", secret: { secretName: HUB_SECRET, defaultMode: 0o440 } },
                // Owner and group (fsGroup) only: the key is never world-readable.
                { name: "tls", secret: { secretName: HUB_TLS_SECRET, defaultMode: 0o440 } },
                { name: "region-ca", configMap: { name: REGION_CA_CONFIGMAP, defaultMode: 0o444 } },
                { name: "data", persistentVolumeClaim: { claimName: `${HUB_PROMETHEUS_NAME}-data` } },
            ],
        }),
        nodePortService(HUB_PROMETHEUS_NAME, promLabels, PROMETHEUS_PORT, HUB_REMOTE_WRITE_NODE_PORT),
        secret(GRAFANA_SECRET, grafanaLabels, { "admin-password": secrets.grafanaAdminPassword, "reader-password": secrets.readerPassword }),
        tlsSecret(GRAFANA_TLS_SECRET, grafanaLabels, secrets.grafanaTls),
        configMap(`${GRAFANA_NAME}-provisioning`, grafanaLabels, { "datasources.yml": datasourcesYaml, "dashboards.yml": providersYaml }),
        configMap(`${GRAFANA_NAME}-dashboards`, grafanaLabels, dashboardData),
        singletonDeployment(
            GRAFANA_NAME,
            grafanaLabels,
            { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(datasourcesYaml + providersYaml + JSON.stringify(dashboardData)), ...certHashAnnotation(secrets.grafanaTls) },
            {
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: GRAFANA_UID, runAsGroup: GRAFANA_UID, fsGroup: GRAFANA_UID, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: GRAFANA_NAME,
                        image: monitoringImage("grafana", versions),
                        env: [
                            { name: "GF_SECURITY_ADMIN_USER", value: "admin" },
                            { name: "GF_SECURITY_ADMIN_PASSWORD", valueFrom: { secretKeyRef: { name: GRAFANA_SECRET, key: "admin-password" } } },
                            { name: READER_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: GRAFANA_SECRET, key: "reader-password" } } },
                            { name: REGION_CA_ENV, valueFrom: { configMapKeyRef: { name: REGION_CA_CONFIGMAP, key: REGION_CA_KEY } } },
                            // HTTPS only, with the certificate from the region CA ([server] of grafana.ini).
                            { name: "GF_SERVER_PROTOCOL", value: "https" },
                            { name: "GF_SERVER_CERT_FILE", value: `${GRAFANA_TLS_DIR}/tls.crt` },
                            { name: "GF_SERVER_CERT_KEY", value: `${GRAFANA_TLS_DIR}/tls.key` },
                            { name: "GF_SERVER_MIN_TLS_VERSION", value: "TLS1.2" },
                            { name: "GF_USERS_ALLOW_SIGN_UP", value: "false" },
                            // Logs to stdout only: the root filesystem is read-only.
                            { name: "GF_LOG_MODE", value: "console" },
                            { name: "GF_AUTH_ANONYMOUS_ENABLED", value: "false" },
                            // Air-gapped sites: no phoning home.
                            { name: "GF_ANALYTICS_REPORTING_ENABLED", value: "false" },
                            { name: "GF_ANALYTICS_CHECK_FOR_UPDATES", value: "false" },
                            { name: "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES", value: "false" },
                            { name: "GF_NEWS_NEWS_FEED_ENABLED", value: "false" },
                            { name: "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", value: `${GRAFANA_DASHBOARD_DIR}/edge-estate-overview.json` },
                        ],
                        ports: [{ name: "https", containerPort: GRAFANA_PORT }],
                        resources: grafanaResources,
                        livenessProbe: { httpGet: { path: "/api/health", port: GRAFANA_PORT, scheme: "HTTPS" }, periodSeconds: 30, failureThreshold: 4 },
                        readinessProbe: { httpGet: { path: "/api/health", port: GRAFANA_PORT, scheme: "HTTPS" }, periodSeconds: 10 },
                        securityContext: restricted(GRAFANA_UID),
                        volumeMounts: [
                            { name: "data", mountPath: "/var/lib/grafana" },
                            { name: "tmp", mountPath: "/tmp" },
                            { name: "provisioning", mountPath: "/etc/grafana/provisioning", readOnly: true },
                            { name: "dashboards", mountPath: GRAFANA_DASHBOARD_DIR, readOnly: true },
                            { name: "tls", mountPath: GRAFANA_TLS_DIR, readOnly: true },
                        ],
                    },
                ],
                volumes: [
                    // Dashboards, datasource and admin come from provisioning: Grafana's own database is disposable.
                    { name: "data", emptyDir: { sizeLimit: "512Mi" } },
                    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                    {
                        name: "provisioning",
                        configMap: {
                            name: `${GRAFANA_NAME}-provisioning`,
                            items: [
                                { key: "datasources.yml", path: "datasources/datasources.yml" },
                                { key: "dashboards.yml", path: "dashboards/dashboards.yml" },
                            ],
                        },
                    },
                    { name: "dashboards", configMap: { name: `${GRAFANA_NAME}-dashboards` } },
                    // Owner and group (fsGroup 472) only: the key is never world-readable.
                    { name: "tls", secret: { secretName: GRAFANA_TLS_SECRET, defaultMode: 0o440 } },
                ],
            },
        ),
        nodePortService(GRAFANA_NAME, grafanaLabels, GRAFANA_PORT, GRAFANA_NODE_PORT),
    ];
}
