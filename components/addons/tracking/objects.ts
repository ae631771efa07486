/**
 * Pure builders for the tracking service (the Wasm workload) on one site: Deployment on the K3s built-in
 * `wasmedge` RuntimeClass, Service, PodDisruptionBudget. The env follows the wasm-app contract.
 */
import type { ContainerResources, HostConfig, SiteConfig } from "../../config/types";
import type { KubeObject } from "../../k8s/apply";
import { EDGE_STATE_DIR } from "../../host/steps";
import { addonLabels, resourcesBlock, selectorLabels } from "../common";
import { BROKER_NAME } from "../broker/objects";
import { MQTT_PORT } from "../broker/config";
import { WASM_RUNTIME_CLASS } from "../../constants";

export const TRACKING_NAME = "tracking";
/** DATA_DIR inside the container, backed by a directory on the node. */
export const TRACKING_DATA_DIR = "/data";
export const TRACKING_HOST_DATA_DIR = `${EDGE_STATE_DIR}/tracking`;
/**
 * The fixed non-root uid/gid the tracking container runs as. The host step `tracking-data-dir`
 * (scripts/remote/tracking-data-dir.sh) gives TRACKING_HOST_DATA_DIR to it (mode 0700) before the pod lands; the
 * image needs nothing else (its /app.wasm is 0555 and /config.json 0444, owned by root).
 */
export const TRACKING_UID = 10001;

export interface TrackingObjectsInput {
    site: SiteConfig;
    /** The site's hosts that take ordinary pods (from the site plan). */
    schedulableHosts: HostConfig[];
    namespace: string;
    image: string;
    /** "Never" for imported images (a missing import fails fast), "IfNotPresent" for registry images. */
    imagePullPolicy: "Never" | "IfNotPresent";
    replicas: number;
    httpPort: number;
    resources: ContainerResources;
    /** Secret holding `username`/`password` of the tracking MQTT client class. */
    mqttCredentialsSecret: string;
}

export class TrackingPlacementError extends Error {}

export function buildTrackingObjects(input: TrackingObjectsInput): KubeObject[] {
    const { site, namespace, replicas } = input;
    const schedulable = input.schedulableHosts;
    if (replicas > schedulable.length) {
        // One replica per node (each owns its node's DATA_DIR); extra replicas would stay Pending forever.
        throw new TrackingPlacementError(
            `site ${site.id}: trackingReplicas ${replicas} is more than its ${schedulable.length} schedulable host(s) (${schedulable.map((h) => h.id).join(", ") || "none"}); ` +
                `each replica owns one node's data directory, so use at most ${schedulable.length}`,
        );
    }
    const labels = addonLabels(site, TRACKING_NAME);
    const selector = selectorLabels(TRACKING_NAME);
    const deployment: KubeObject = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: TRACKING_NAME, namespace, labels },
        spec: {
            replicas,
            selector: { matchLabels: selector },
            // Never two pods on one node at once: they would share that node's event log.
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
            template: {
                metadata: { labels: { ...labels, ...selector } },
                spec: {
                    runtimeClassName: WASM_RUNTIME_CLASS,
                    automountServiceAccountToken: false,
                    enableServiceLinks: true,
                    affinity: {
                        podAntiAffinity: {
                            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: selector }, topologyKey: "kubernetes.io/hostname" }],
                        },
                    },
                    terminationGracePeriodSeconds: 10,
                    securityContext: { runAsNonRoot: true, runAsUser: TRACKING_UID, runAsGroup: TRACKING_UID, fsGroup: TRACKING_UID, seccompProfile: { type: "RuntimeDefault" } },
                    containers: [
                        {
                            name: TRACKING_NAME,
                            image: input.image,
                            imagePullPolicy: input.imagePullPolicy,
                            ports: [{ name: "http", containerPort: input.httpPort, protocol: "TCP" }],
                            env: [
                                { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
                                { name: "SITE_ID", value: site.id },
                                { name: "HTTP_PORT", value: String(input.httpPort) },
                                { name: "HTTP_BIND", value: "0.0.0.0" },
                                // The broker Service's ClusterIP as an IPv4 literal (service link variable of the same
                                // namespace; the broker Service is created before this Deployment): no DNS needed in Wasm.
                                { name: "MQTT_HOST", value: `$(${serviceLinkPrefix(BROKER_NAME)}_SERVICE_HOST)` },
                                { name: "MQTT_PORT", value: String(MQTT_PORT) },
                                // The app keeps a persistent MQTT session (the broker queues QoS 1 events while it is away).
                                // One replica per node owns that node's event log, so the session is per node too: a
                                // replaced pod on the same node resumes the session and gets what arrived meanwhile.
                                { name: "MQTT_CLIENT_ID", value: `${TRACKING_NAME}-$(NODE_NAME)` },
                                { name: "MQTT_USERNAME", valueFrom: { secretKeyRef: { name: input.mqttCredentialsSecret, key: "username" } } },
                                { name: "MQTT_PASSWORD", valueFrom: { secretKeyRef: { name: input.mqttCredentialsSecret, key: "password" } } },
                                { name: "DATA_DIR", value: TRACKING_DATA_DIR },
                            ],
                            resources: resourcesBlock(input.resources),
                            // /healthz: the process serves HTTP. /readyz: subscribed to the broker (503 otherwise).
                            startupProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1, failureThreshold: 30 },
                            livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
                            readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
                            // Non-root (TRACKING_UID), read-only root, the runtime's default seccomp profile; the only
                            // writable place is the data directory the host step prepared for that uid.
                            securityContext: {
                                runAsNonRoot: true,
                                runAsUser: TRACKING_UID,
                                runAsGroup: TRACKING_UID,
                                allowPrivilegeEscalation: false,
                                readOnlyRootFilesystem: true,
                                capabilities: { drop: ["ALL"] },
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            volumeMounts: [{ name: "data", mountPath: TRACKING_DATA_DIR }],
                        },
                    ],
                    volumes: [
                        // Per node: the one replica on this node keeps its durable event log here across restarts.
                        // `Directory`, not DirectoryOrCreate: the host step made it for TRACKING_UID; if it has not
                        // run, the pod fails to start loudly instead of getting a root-owned directory it cannot write.
                        { name: "data", hostPath: { path: TRACKING_HOST_DATA_DIR, type: "Directory" } },
                    ],
                },
            },
        },
    };
    const service: KubeObject = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: TRACKING_NAME, namespace, labels },
        spec: { type: "ClusterIP", selector, ports: [{ name: "http", port: input.httpPort, targetPort: "http", protocol: "TCP" }] },
    };
    const pdb: KubeObject = {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: TRACKING_NAME, namespace, labels },
        // maxUnavailable 1: drains proceed one replica at a time, and a single-replica site can still be drained.
        spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    };
    return [deployment, service, pdb];
}

/** Kubernetes service link variable prefix: name upper-cased with '-' -> '_'. */
export function serviceLinkPrefix(serviceName: string): string {
    return serviceName.toUpperCase().replace(/-/g, "_");
}
