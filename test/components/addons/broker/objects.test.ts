// components/addons/broker/objects.ts: pinned image, no anonymous access in the shipped config, secrets never
// world-readable, persistence on disk, probes, budget, device-facing NodePort.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildAclFile, buildMosquittoConf, CONTAINER_PATHS, MQTT_PORT } from "../../../../components/addons/broker/config";
import { buildBrokerObjects } from "../../../../components/addons/broker/objects";
import { pinnedImage } from "../../../../components/pins";
import { loadStackFile } from "../../../../components/config/load";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const site = config.sites.find((s) => s.id === "sz-gusu")!;
const objs = buildBrokerObjects({
    site,
    namespace: "edge-system",
    mosquittoVersion: "2.0.18",
    resources: config.budget.components.broker,
    pinnedHostId: "srv-a",
    passwordFile: "PASSWORD-FILE",
    credentials: { tracking: { username: "tracking", password: "P1" }, device: { username: "device", password: "P2" } },
});
const of = (kind: string, name?: string) => objs.find((o) => o.kind === kind && (!name || o.metadata.name === name)) as any;

describe("broker objects", () => {
    it("pins eclipse-mosquitto 2.0.18 by digest and refuses an unpinned version", () => {
        const c = of("Deployment").spec.template.spec.containers[0];
        expect(c.image).toBe("eclipse-mosquitto:2.0.18@sha256:d12c8f80dfc65b768bb9acecc7ef182b976f71fb681640b66358e5e0cf94e9e9");
        expect(() => pinnedImage("mosquitto", { mosquitto: "2.0.99" })).toThrow(/versions\.mosquitto: "2\.0\.99" has no pinned image digest/);
    });

    it("ships exactly the generated conf and ACL (no anonymous access, persistence on)", () => {
        const data = of("ConfigMap").data;
        expect(data["mosquitto.conf"]).toBe(buildMosquittoConf({ siteId: "sz-gusu", paths: CONTAINER_PATHS, port: MQTT_PORT }));
        expect(data.acl).toBe(buildAclFile("sz-gusu"));
        expect(data["mosquitto.conf"]).toMatch(/^allow_anonymous false$/m);
        expect(data["mosquitto.conf"]).toMatch(/^persistence true$/m);
        expect(data["mosquitto.conf"]).not.toMatch(/PASSWORD-FILE|P1|P2/);
    });

    it("keeps credentials in Secrets mounted group-readable only, and runs non-root", () => {
        expect(of("Secret", "mqtt-broker-auth").stringData).toEqual({ passwd: "PASSWORD-FILE" });
        expect(of("Secret", "mqtt-tracking-credentials").stringData).toEqual({ username: "tracking", password: "P1" });
        const spec = of("Deployment").spec.template.spec;
        expect(spec.volumes.find((v: any) => v.name === "auth").secret.defaultMode).toBe(0o440);
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1883, fsGroup: 1883 });
    });

    it("persists on a local-path volume, one writer at a time, on the pinned host", () => {
        expect(of("PersistentVolumeClaim").spec.storageClassName).toBe("local-path");
        const d = of("Deployment");
        expect(d.spec.strategy).toEqual({ type: "Recreate" });
        expect(d.spec.template.spec.nodeSelector).toEqual({ "edge-estate/host": "srv-a" });
        expect(d.spec.template.spec.volumes.find((v: any) => v.name === "data").persistentVolumeClaim.claimName).toBe("mqtt-broker-data");
    });

    it("has probes, budget resources and a device-facing NodePort", () => {
        const c = of("Deployment").spec.template.spec.containers[0];
        expect(c.resources).toEqual(config.budget.components.broker);
        expect(c.livenessProbe.tcpSocket.port).toBe("mqtt");
        expect(c.readinessProbe.tcpSocket.port).toBe("mqtt");
        // Plain MQTT stays in the pod network; without a device CA there is no device port at all.
        expect(of("Service", "mqtt-broker").spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 1883 }] });
        expect(of("Service", "mqtt-broker").spec.ports[0].nodePort).toBeUndefined();
        expect(objs.filter((o) => o.kind === "Service")).toHaveLength(1);
    });

    it("with a device CA: a TLS device listener on the only NodePort, its material in a 0440 Secret", () => {
        const withTls = buildBrokerObjects({
            site,
            namespace: "edge-system",
            mosquittoVersion: "2.0.18",
            resources: config.budget.components.broker,
            pinnedHostId: "srv-a",
            passwordFile: "PASSWORD-FILE",
            credentials: {},
            deviceTls: { chainPem: "CHAIN", keyPem: "KEY", deviceCaPem: "DEVICE-CA", crlPem: "CRL" },
        });
        const get = (kind: string, name: string) => withTls.find((o) => o.kind === kind && o.metadata.name === name) as any;
        expect(get("Service", "mqtt-broker-devices").spec).toMatchObject({ type: "NodePort", ports: [{ port: 8883, targetPort: "mqtts", nodePort: 30883 }] });
        expect(get("Service", "mqtt-broker").spec.type).toBe("ClusterIP");
        expect(get("Secret", "mqtt-broker-tls").stringData).toEqual({ "server.crt": "CHAIN", "server.key": "KEY", "device-ca.crt": "DEVICE-CA", "device-crl.pem": "CRL" });
        const spec = get("Deployment", "mqtt-broker").spec.template.spec;
        expect(spec.volumes.find((v: any) => v.name === "tls").secret).toEqual({ secretName: "mqtt-broker-tls", defaultMode: 0o440 });
        expect(spec.containers[0].ports.map((p: any) => p.containerPort)).toEqual([1883, 8883]);
        const conf = get("ConfigMap", "mqtt-broker-config").data["mosquitto.conf"];
        expect(conf).toContain("listener 8883\n");
        expect(conf).toContain("require_certificate true\nuse_identity_as_username true");
        expect(conf).toContain("crlfile /mosquitto/tls/device-crl.pem");
        // A new CRL (a revocation) changes the restart annotation.
        const again = buildBrokerObjects({ ...({} as any), site, namespace: "edge-system", mosquittoVersion: "2.0.18", resources: config.budget.components.broker, pinnedHostId: "srv-a", passwordFile: "P", credentials: {}, deviceTls: { chainPem: "CHAIN", keyPem: "KEY", deviceCaPem: "DEVICE-CA", crlPem: "CRL2" } });
        const hash = (o: any[]) => (o.find((x) => x.kind === "Deployment") as any).spec.template.metadata.annotations["edge-estate/config-sha256"];
        expect(hash(again)).not.toBe(hash(withTls));
    });
});
