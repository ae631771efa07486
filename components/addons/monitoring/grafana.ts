/** Pure builders of Grafana's provisioning files (datasource and dashboard provider). */
import { HUB_READER_USER, HUB_DATASOURCE_UID, HUB_PROMETHEUS_NAME, MONITORING_NAMESPACE, PROMETHEUS_PORT } from "./names";

/** Env var the Grafana container gets from the hub Secret; Grafana expands it in provisioning files. */
export const READER_PASSWORD_ENV = "HUB_READER_PASSWORD";
export const GRAFANA_DASHBOARD_DIR = "/etc/grafana/dashboards";

export const hubPrometheusUrl = () => `http://${HUB_PROMETHEUS_NAME}.${MONITORING_NAMESPACE}.svc:${PROMETHEUS_PORT}`;

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
                jsonData: { timeInterval: "30s", httpMethod: "POST" },
                // Expanded by Grafana from its environment; the value never lands in a ConfigMap.
                secureJsonData: { basicAuthPassword: `$${READER_PASSWORD_ENV}` },
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
