/**
 * Names, ports and selectors the monitoring stack shares with the rest of the site. The tracking service and
 * the broker are owned by the other add-ons; what is read from them here is a label selector and a container
 * name, so a rename there breaks scraping loudly in the tests (test/components/addons/monitoring/).
 */

import { componentLabels } from "../../constants";

export const MONITORING_NAMESPACE = "edge-monitoring";

export const AGENT_NAME = "prometheus-agent";
export const NODE_EXPORTER_NAME = "node-exporter";
export const HUB_PROMETHEUS_NAME = "prometheus-hub";
export const GRAFANA_NAME = "grafana";

export const PROMETHEUS_PORT = 9090;
export const NODE_EXPORTER_PORT = 9100;
export const GRAFANA_PORT = 3000;

/** NodePorts on the hub site (servicelb is disabled, so NodePort is how other sites and people reach it). */
export const HUB_REMOTE_WRITE_NODE_PORT = 30990;
export const GRAFANA_NODE_PORT = 30300;

/** Scrape job names; alert rules and dashboards select on them. */
export const JOBS = {
    agent: "prometheus-agent",
    nodeExporter: "node-exporter",
    kubelet: "kubelet",
    cadvisor: "cadvisor",
    probes: "kubelet-probes",
    apiserver: "apiserver",
    tracking: "tracking",
    hub: "prometheus-hub",
} as const;

/**
 * The tracking service's pods: label selector and HTTP port of GET /metrics. The selector is the documented
 * fallback agreed for the tracking add-on (app.kubernetes.io/name=tracking); the port is tracking.httpPort.
 */
export const TRACKING_POD_LABEL = { key: "app.kubernetes.io/name", value: "tracking" } as const;

/** Container name of the Mosquitto broker; cAdvisor and kubelet probe metrics carry it as `container`. */
export const BROKER_CONTAINER = "mosquitto";
/** The broker Deployment's name: its pods (and their network counters in cAdvisor) are named `<name>-<hash>`. */
export const BROKER_DEPLOYMENT = "mqtt-broker";

/**
 * Gatekeeper's admission webhook as its chart (3.15) runs it: the `manager` container of the
 * `gatekeeper-controller-manager` Deployment, and the webhooks it registers (`validation.gatekeeper.sh`,
 * `check-ignore-label.gatekeeper.sh`), whose names the API server's fail-open counter carries.
 */
export const GATEKEEPER_WEBHOOK = { container: "manager", podPattern: "gatekeeper-controller-manager-.+", webhookPattern: ".+[.]gatekeeper[.]sh" } as const;

/** Grafana datasource uid the provisioned dashboards refer to. */
export const HUB_DATASOURCE_UID = "edge-hub-prometheus";

/** Remote-write user of a site on the hub receiver. */
export const remoteWriteUser = (siteId: string) => `site-${siteId}`;
/** Hub user of the Grafana datasource and the hub's self-scrape (Prometheus basic auth has no per-user rights). */
export const HUB_READER_USER = "reader";

export const commonLabels = (siteId: string, component: string) => componentLabels(siteId, component, "edge-monitoring");
