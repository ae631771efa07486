/**
 * Least privilege on the pod network: a default-deny NetworkPolicy (ingress and egress) in every namespace the
 * program owns, and one policy per flow that is needed. K3s enforces them with its embedded network policy
 * controller (kube-router). The allowed flows, as a table (test/components/site/network-policies.test.ts checks
 * the rendered policies against it with an evaluator):
 *
 * | from | to | port |
 * |---|---|---|
 * | every pod of ours | kube-dns (kube-system) | 53 udp/tcp |
 * | tracking | mqtt-broker | 1883 |
 * | outside the pod network (devices via NodePort 30883) | mqtt-broker | 8883 |
 * | prometheus-agent | tracking | 8080 |
 * | prometheus-agent | prometheus-hub | 9090 (the hub site's own agent) |
 * | grafana | prometheus-hub | 9090 |
 * | outside (other sites' agents via NodePort 30990) | prometheus-hub | 9090 |
 * | outside (operators via NodePort 30300) | grafana | 3000 |
 * | prometheus-agent | outside: API server 443/6443, kubelet 10250, node-exporter 9100, remote hubs 30990 | |
 * | outside (the API server calling the webhook) | gatekeeper controller | 8443 |
 * | gatekeeper controller and audit | outside: API server 443/6443 | |
 *
 * "Outside" is any address but the pod network (K3s' default cluster CIDR), so host-network sources (the API
 * server, NodePort traffic after DNAT) match and other pods do not. node-exporter runs with hostNetwork, which
 * NetworkPolicy does not cover; it listens on the node only.
 */
import { GATEKEEPER_NAMESPACE } from "../addons/gatekeeper/policy";
import { MONITORING_NAMESPACE } from "../addons/monitoring/names";
import { LABELS, siteLabels } from "../constants";
import type { KubeObject } from "../k8s/apply";
import type { SitePlan } from "../plan";
import { EDGE_SYSTEM_NAMESPACE } from "./objects";

/** K3s' default --cluster-cidr (the program does not change it). */
export const POD_CIDR = "10.42.0.0/16";
export const OWNED_NAMESPACES = [EDGE_SYSTEM_NAMESPACE, MONITORING_NAMESPACE, GATEKEEPER_NAMESPACE] as const;

const OUTSIDE = [{ ipBlock: { cidr: "0.0.0.0/0", except: [POD_CIDR] } }, { ipBlock: { cidr: "::/0" } }];
const app = (name: string) => ({ matchLabels: { [LABELS.name]: name } });
const inNs = (ns: string, name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } }, podSelector: app(name) });
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

interface Flow {
    name: string;
    namespace: string;
    podSelector: Record<string, unknown>;
    ingress?: Record<string, unknown>[];
    egress?: Record<string, unknown>[];
}

export function siteNetworkPolicies(plan: SitePlan): KubeObject[] {
    const labels = siteLabels(plan.site.id);
    const flows: Flow[] = [];
    for (const ns of OWNED_NAMESPACES) {
        flows.push({ name: "default-deny", namespace: ns, podSelector: {} });
        flows.push({
            name: "allow-dns",
            namespace: ns,
            podSelector: {},
            egress: [{ to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } }, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }], ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] }],
        });
    }
    // edge-system: the broker and the tracking service.
    flows.push({ name: "mqtt-broker-ingress", namespace: EDGE_SYSTEM_NAMESPACE, podSelector: app("mqtt-broker"), ingress: [{ from: [{ podSelector: app("tracking") }], ports: tcp(1883) }, { from: OUTSIDE, ports: tcp(8883) }] });
    flows.push({ name: "tracking-egress", namespace: EDGE_SYSTEM_NAMESPACE, podSelector: app("tracking"), egress: [{ to: [{ podSelector: app("mqtt-broker") }], ports: tcp(1883) }] });
    flows.push({ name: "tracking-ingress", namespace: EDGE_SYSTEM_NAMESPACE, podSelector: app("tracking"), ingress: [{ from: [inNs(MONITORING_NAMESPACE, "prometheus-agent")], ports: tcp(8080) }] });
    // edge-monitoring: the agent everywhere, the hub and Grafana on the hub site.
    flows.push({
        name: "prometheus-agent-egress",
        namespace: MONITORING_NAMESPACE,
        podSelector: app("prometheus-agent"),
        egress: [
            { to: [inNs(EDGE_SYSTEM_NAMESPACE, "tracking")], ports: tcp(8080) },
            { to: [{ podSelector: app("prometheus-hub") }], ports: tcp(9090) },
            { to: OUTSIDE, ports: tcp(443, 6443, 10250, 9100, 30990) },
        ],
    });
    if (plan.isHub) {
        flows.push({ name: "prometheus-hub-ingress", namespace: MONITORING_NAMESPACE, podSelector: app("prometheus-hub"), ingress: [{ from: [{ podSelector: app("prometheus-agent") }, { podSelector: app("grafana") }, ...OUTSIDE], ports: tcp(9090) }] });
        flows.push({ name: "grafana-ingress", namespace: MONITORING_NAMESPACE, podSelector: app("grafana"), ingress: [{ from: OUTSIDE, ports: tcp(3000) }] });
        flows.push({ name: "grafana-egress", namespace: MONITORING_NAMESPACE, podSelector: app("grafana"), egress: [{ to: [{ podSelector: app("prometheus-hub") }], ports: tcp(9090) }] });
    }
    // gatekeeper-system: the API server calls the webhook; both pods talk to the API server.
    flows.push({ name: "gatekeeper-webhook-ingress", namespace: GATEKEEPER_NAMESPACE, podSelector: { matchLabels: { "control-plane": "controller-manager" } }, ingress: [{ from: OUTSIDE, ports: tcp(8443) }] });
    flows.push({ name: "gatekeeper-apiserver-egress", namespace: GATEKEEPER_NAMESPACE, podSelector: {}, egress: [{ to: OUTSIDE, ports: tcp(443, 6443) }] });

    return flows.map((f) => {
        const policyTypes = f.name === "default-deny" ? ["Ingress", "Egress"] : [...(f.ingress ? ["Ingress"] : []), ...(f.egress ? ["Egress"] : [])];
        return {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: f.name, namespace: f.namespace, labels },
            spec: { podSelector: f.podSelector, policyTypes, ...(f.ingress ? { ingress: f.ingress } : {}), ...(f.egress ? { egress: f.egress } : {}) },
        };
    });
}
