/**
 * Pure builders for the MQTT broker's Kubernetes objects on one site. Secret values arrive as inputs (Pulumi
 * outputs in the program, plain strings in tests); nothing here generates or logs them.
 */
import type { ContainerResources, SiteConfig } from "../../config/types";
import type { KubeObject } from "../../k8s/apply";
import { addonLabels, resourcesBlock, selectorLabels } from "../common";
import { buildAclFile, buildMosquittoConf, CONTAINER_PATHS, MQTT_DEVICE_NODE_PORT, MQTT_PORT } from "./config";
import { pinnedImage } from "../../pins";

export const BROKER_NAME = "mqtt-broker";
/** Secret with the mosquitto password file (hashes only). */
export const BROKER_AUTH_SECRET = "mqtt-broker-auth";
/** Secret per client class with `username`/`password` keys, for the workloads and for device provisioning. */
export const credentialsSecretName = (cls: string) => `mqtt-${cls}-credentials`;

/** The uid/gid the eclipse-mosquitto image creates for the `mosquitto` user. */
const MOSQUITTO_UID = 1883;

export interface BrokerObjectsInput {
    site: SiteConfig;
    namespace: string;
    mosquittoVersion: string;
    resources: ContainerResources;
    /** Host id the broker (and its on-disk persistence) lives on: the site's first server. */
    pinnedHostId: string;
    /** mosquitto password file text (secret). */
    passwordFile: unknown;
    /** Per client class: {username, password} (password secret). */
    credentials: Record<string, { username: string; password: unknown }>;
    /** Size of the persistence volume. */
    storage?: string;
}

export function buildBrokerObjects(input: BrokerObjectsInput): KubeObject[] {
    const { site, namespace } = input;
    const labels = addonLabels(site, BROKER_NAME);
    const selector = selectorLabels(BROKER_NAME);
    const confFiles = {
        "mosquitto.conf": buildMosquittoConf({ siteId: site.id, paths: CONTAINER_PATHS, port: MQTT_PORT }),
        acl: buildAclFile(site.id),
    };
    const objects: KubeObject[] = [
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: `${BROKER_NAME}-config`, namespace, labels },
            data: confFiles,
        },
        {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: BROKER_AUTH_SECRET, namespace, labels },
            type: "Opaque",
            stringData: { passwd: input.passwordFile },
        },
        ...Object.entries(input.credentials)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(
                ([cls, c]): KubeObject => ({
                    apiVersion: "v1",
                    kind: "Secret",
                    metadata: { name: credentialsSecretName(cls), namespace, labels: { ...labels, "edge-estate/mqtt-class": cls } },
                    type: "Opaque",
                    stringData: { username: c.username, password: c.password },
                }),
            ),
        {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: {
                name: `${BROKER_NAME}-data`,
                namespace,
                labels,
                // local-path binds on first use (WaitForFirstConsumer): do not wait for Bound before the pod exists.
                annotations: { "pulumi.com/skipAwait": "true" },
            },
            spec: {
                accessModes: ["ReadWriteOnce"],
                // K3s's bundled local-path provisioner: a directory on the node's disk.
                storageClassName: "local-path",
                resources: { requests: { storage: input.storage ?? "1Gi" } },
            },
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: BROKER_NAME, namespace, labels },
            spec: {
                replicas: 1,
                // One writer of the persistence file: stop the old broker before the new one starts.
                strategy: { type: "Recreate" },
                selector: { matchLabels: selector },
                template: {
                    metadata: {
                        labels: { ...labels, ...selector },
                        // A config change must restart mosquitto (it reads conf/ACL/passwords at start).
                        annotations: { "edge-estate/config-hash": configHash(JSON.stringify(confFiles)) },
                    },
                    spec: {
                        nodeSelector: { "edge-estate/host": input.pinnedHostId },
                        automountServiceAccountToken: false,
                        securityContext: {
                            runAsUser: MOSQUITTO_UID,
                            runAsGroup: MOSQUITTO_UID,
                            runAsNonRoot: true,
                            fsGroup: MOSQUITTO_UID,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [
                            {
                                name: "mosquitto",
                                image: pinnedImage("mosquitto", { mosquitto: input.mosquittoVersion }),
                                imagePullPolicy: "IfNotPresent",
                                // Bypass the image entrypoint (it chowns /mosquitto when root; we never run as root).
                                command: ["/usr/sbin/mosquitto", "-c", `${CONTAINER_PATHS.configDir}/mosquitto.conf`],
                                ports: [{ name: "mqtt", containerPort: MQTT_PORT, protocol: "TCP" }],
                                resources: resourcesBlock(input.resources),
                                startupProbe: { tcpSocket: { port: "mqtt" }, periodSeconds: 2, failureThreshold: 30 },
                                livenessProbe: { tcpSocket: { port: "mqtt" }, periodSeconds: 20, timeoutSeconds: 3, failureThreshold: 3 },
                                readinessProbe: { tcpSocket: { port: "mqtt" }, periodSeconds: 10, timeoutSeconds: 2 },
                                securityContext: {
                                    allowPrivilegeEscalation: false,
                                    readOnlyRootFilesystem: true,
                                    capabilities: { drop: ["ALL"] },
                                },
                                volumeMounts: [
                                    { name: "config", mountPath: CONTAINER_PATHS.configDir, readOnly: true },
                                    { name: "auth", mountPath: CONTAINER_PATHS.secretDir, readOnly: true },
                                    { name: "data", mountPath: CONTAINER_PATHS.dataDir },
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: `${BROKER_NAME}-config`, defaultMode: 0o440 } },
                            // Group-readable by the mosquitto group (fsGroup) only, never world-readable.
                            { name: "auth", secret: { secretName: BROKER_AUTH_SECRET, defaultMode: 0o440 } },
                            { name: "data", persistentVolumeClaim: { claimName: `${BROKER_NAME}-data` } },
                        ],
                    },
                },
            },
        },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: BROKER_NAME, namespace, labels },
            spec: {
                // Devices reach the broker on every node's address at the NodePort (servicelb is disabled);
                // in-cluster clients use the ClusterIP of the same Service.
                type: "NodePort",
                selector,
                ports: [{ name: "mqtt", port: MQTT_PORT, targetPort: "mqtt", nodePort: MQTT_DEVICE_NODE_PORT, protocol: "TCP" }],
            },
        },
    ];
    return objects;
}

/** Short, stable content hash for restart-on-change annotations (FNV-1a 32, hex). */
export function configHash(text: string): string {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
}
