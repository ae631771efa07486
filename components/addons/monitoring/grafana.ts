/** Pure builders of Grafana's provisioning files (datasource and dashboard provider). */
import { HUB_READER_USER, HUB_DATASOURCE_UID, HUB_PROMETHEUS_NAME, MONITORING_NAMESPACE, PROMETHEUS_PORT } from "./names";

/** Env var the Grafana container gets from the hub Secret; Grafana expands it in provisioning files. */
export const READER_PASSWORD_ENV = "HUB_READER_PASSWORD";
/** Env var with the region TLS CA certificate (from a ConfigMap): the datasource pins it for the hub. */
export const REGION_CA_ENV = "REGION_CA_CERT";
export const GRAFANA_DASHBOARD_DIR = "/etc/grafana/dashboards";
/** Grafana's own server certificate chain and key (Secret of type kubernetes.io/tls). */
export const GRAFANA_TLS_DIR = "/etc/grafana/tls";

/** The hub's in-cluster name: what the datasource dials and what the hub's certificate must name. */
export const hubServiceName = () => `${HUB_PROMETHEUS_NAME}.${MONITORING_NAMESPACE}.svc`;
export const hubPrometheusUrl = () => `https://${hubServiceName()}:${PROMETHEUS_PORT}`;

export function grafanaDatasources() {
    return {
        apiVersion: 1,
        datasources: [
            {
                name: "Hub Prometheus",
                uid: HUB_DATASOURCE_UID,
                type: "prometheus",
                access: "proxy",
                url: hubPrometheusUrl(),
                isDefault: true,
                editable: false,
                basicAuth: true,
                basicAuthUser: HUB_READER_USER,
                // TLS to the hub, verified against the region CA only, for the hub's Service name.
                jsonData: { timeInterval: "30s", httpMethod: "POST", tlsAuthWithCACert: true, serverName: hubServiceName() },
                // Expanded by Grafana from its environment; the password never lands in a ConfigMap.
                secureJsonData: { basicAuthPassword: `$${READER_PASSWORD_ENV}`, tlsCACert: `$${REGION_CA_ENV}` },
            },
        ],
    };
}

export function grafanaDashboardProviders() {
    return {
        apiVersion: 1,
        providers: [
            {
                name: "edge-estate",
                folder: "Edge estate",
                type: "file",
                disableDeletion: true,
                allowUiUpdates: false,
                updateIntervalSeconds: 60,
                options: { path: GRAFANA_DASHBOARD_DIR, foldersFromFilesStructure: false },
            },
        ],
    };
}
