/**
 * Pure builders for the MQTT broker's Kubernetes objects on one site. Secret values arrive as inputs (Pulumi
 * outputs in the program, plain strings in tests); nothing here generates or logs them.
 */
import type { ContainerResources, SiteConfig } from "../../config/types";
import type { KubeObject } from "../../k8s/apply";
import { addonLabels, resourcesBlock, selectorLabels } from "../common";
import { buildAclFile, buildDeviceAclFile, buildMosquittoConf, CONTAINER_PATHS, MQTT_DEVICE_NODE_PORT, MQTT_PORT, MQTTS_DEVICE_PORT, TLS_FILES } from "./config";
import { pinnedImage } from "../../pins";
import { CONFIG_CHECKSUM_ANNOTATION, configChecksum, NODE_LABELS } from "../../constants";

export const BROKER_NAME = "mqtt-broker";
/** Secret with the mosquitto password file (hashes only). */
export const BROKER_AUTH_SECRET = "mqtt-broker-auth";
/** Secret with the device listener's TLS material: server chain and key, device CA, CRL. */
export const BROKER_TLS_SECRET = "mqtt-broker-tls";
/** NodePort Service of the device listener (the only broker port that leaves the pod network). */
export const BROKER_DEVICES_SERVICE = "mqtt-broker-devices";
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
    /**
     * The device listener (TLS, client certificates from the device CA). Unset = no device CA configured: no
     * device listener and no NodePort.
     */
    deviceTls?: {
        /** The broker's certificate followed by the region TLS CA (PEM). */
        chainPem: unknown;
        /** The broker's private key (secret). */
        keyPem: unknown;
        /** The region device CA certificate (PEM, public). */
        deviceCaPem: string;
        /** The device CA's CRL (PEM, public). */
        crlPem?: string;
        /** Changes whenever the server certificate changes (restarts mosquitto, which reads it at start). */
        certHash?: unknown;
    };
}

export function buildBrokerObjects(input: BrokerObjectsInput): KubeObject[] {
    const { site, namespace } = input;
    const labels = addonLabels(site, BROKER_NAME);
    const selector = selectorLabels(BROKER_NAME);
    const tls = input.deviceTls;
    const confFiles: Record<string, string> = {
        "mosquitto.conf": buildMosquittoConf({ siteId: site.id, paths: CONTAINER_PATHS, port: MQTT_PORT, ...(tls ? { devicePort: MQTTS_DEVICE_PORT, crl: tls.crlPem !== undefined } : {}) }),
        acl: buildAclFile(site.id),
        ...(tls ? { "acl-devices": buildDeviceAclFile(site.id) } : {}),
    };
    // Public parts of the TLS material: a new device CA or CRL (a revocation) restarts the broker.
    const restartOn = JSON.stringify({ confFiles, ca: tls?.deviceCaPem ?? "", crl: tls?.crlPem ?? "" });
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
        ...(tls
            ? [
                  {
                      apiVersion: "v1",
                      kind: "Secret",
                      metadata: { name: BROKER_TLS_SECRET, namespace, labels },
                      type: "Opaque",
                      stringData: {
                          [TLS_FILES.cert]: tls.chainPem,
                          [TLS_FILES.key]: tls.keyPem,
                          [TLS_FILES.deviceCa]: tls.deviceCaPem,
                          ...(tls.crlPem !== undefined ? { [TLS_FILES.crl]: tls.crlPem } : {}),
                      },
                  } as KubeObject,
              ]
            : []),
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
                        annotations: {
                            [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(restartOn),
                            ...(tls?.certHash !== undefined ? { "edge-estate/tls-cert-hash": tls.certHash } : {}),
                        },
                    },
                    spec: {
                        nodeSelector: { [NODE_LABELS.host]: input.pinnedHostId },
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
                                ports: [
                                    { name: "mqtt", containerPort: MQTT_PORT, protocol: "TCP" },
                                    ...(tls ? [{ name: "mqtts", containerPort: MQTTS_DEVICE_PORT, protocol: "TCP" }] : []),
                                ],
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
                                    ...(tls ? [{ name: "tls", mountPath: CONTAINER_PATHS.tlsDir, readOnly: true }] : []),
                                ],
                            },
                        ],
                        volumes: [
                            { name: "config", configMap: { name: `${BROKER_NAME}-config`, defaultMode: 0o440 } },
                            // Group-readable by the mosquitto group (fsGroup) only, never world-readable.
                            { name: "auth", secret: { secretName: BROKER_AUTH_SECRET, defaultMode: 0o440 } },
                            { name: "data", persistentVolumeClaim: { claimName: `${BROKER_NAME}-data` } },
                            ...(tls ? [{ name: "tls", secret: { secretName: BROKER_TLS_SECRET, defaultMode: 0o440 } }] : []),
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
                // In-cluster clients (tracking, monitoring): plain MQTT with passwords, never leaves the pod network.
                type: "ClusterIP",
                selector,
                ports: [{ name: "mqtt", port: MQTT_PORT, targetPort: "mqtt", protocol: "TCP" }],
            },
        },
        ...(tls
            ? [
                  {
                      apiVersion: "v1",
                      kind: "Service",
                      metadata: { name: BROKER_DEVICES_SERVICE, namespace, labels },
                      spec: {
                          // Devices reach the TLS listener on every node's address (servicelb is disabled); this is the
                          // only broker port outside the pod network.
                          type: "NodePort",
                          selector,
                          ports: [{ name: "mqtts", port: MQTTS_DEVICE_PORT, targetPort: "mqtts", nodePort: MQTT_DEVICE_NODE_PORT, protocol: "TCP" }],
                      },
                  } as KubeObject,
              ]
            : []),
    ];
    return objects;
}

