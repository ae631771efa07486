// Pure builders of the monitoring objects (components/addons/monitoring/objects.ts, images.ts) and the names
// they share with the broker and tracking add-ons: a rename there must break here, not silently in production.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildBrokerObjects } from "../../../../components/addons/broker/objects";
import { BROKER_CONTAINER, BROKER_DEPLOYMENT, TRACKING_POD_LABEL } from "../../../../components/addons/monitoring/names";
import { pinnedImage as monitoringImage, UnpinnedImageError } from "../../../../components/pins";
import { hubMonitoringObjects, remoteWriteServerName, remoteWriteUrl, siteMonitoringObjects } from "../../../../components/addons/monitoring/objects";
import { buildTrackingObjects } from "../../../../components/addons/tracking/objects";
import { loadStackFile } from "../../../../components/config/load";
import type { EstateConfig } from "../../../../components/config/types";
import { planSite } from "../../../../components/plan";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const site = config.sites.find((s) => s.id !== config.monitoring.hubSite)!;
const hubSecrets = { webConfigYaml: "web", readerPassword: "r", grafanaAdminPassword: "g", hubTls: { chainPem: "HUB-CHAIN", keyPem: "HUB-KEY" }, grafanaTls: { chainPem: "GRAFANA-CHAIN", keyPem: "GRAFANA-KEY" } };
const budget = config.budget.components;

describe("shared names", () => {
    it("the broker container and Deployment names match the broker add-on's builder", () => {
        const objects = buildBrokerObjects({
            site,
            namespace: "edge-system",
            mosquittoVersion: config.versions.mosquitto,
            resources: budget.broker,
            pinnedHostId: site.hosts[0].id,
            passwordFile: "x",
            credentials: { tracking: { username: "t", password: "p" }, device: { username: "d", password: "p" }, monitor: { username: "m", password: "p" } },
        });
        const deployment = objects.find((o) => o.kind === "Deployment") as any;
        expect(deployment.metadata.name).toBe(BROKER_DEPLOYMENT);
        expect(deployment.spec.template.spec.containers.map((c: any) => c.name)).toContain(BROKER_CONTAINER);
        // The BrokerDown alert needs the readiness probe the kubelet reports in prober_probe_total.
        expect(deployment.spec.template.spec.containers.find((c: any) => c.name === BROKER_CONTAINER).readinessProbe).toBeDefined();
    });

    it("the tracking pods carry the label the agent selects and declare the scraped port", () => {
        const objects = buildTrackingObjects({
            site,
            schedulableHosts: planSite(config, site).schedulableHosts,
            namespace: "edge-system",
            image: "tracking@sha256:" + "0".repeat(64),
            imagePullPolicy: "Never",
            replicas: 1,
            httpPort: config.tracking.httpPort,
            resources: budget.tracking,
            mqttCredentialsSecret: "s",
        });
        const deployment = objects.find((o) => o.kind === "Deployment") as any;
        expect(deployment.spec.template.metadata.labels[TRACKING_POD_LABEL.key]).toBe(TRACKING_POD_LABEL.value);
        expect(deployment.spec.template.spec.containers[0].ports.map((p: any) => p.containerPort)).toContain(config.tracking.httpPort);
    });
});

describe("monitoring objects", () => {
    it("pins every image by digest and refuses a version without a recorded digest", () => {
        expect(monitoringImage("prometheus", config.versions)).toBe("prom/prometheus:v2.53.0@sha256:075b1ba2c4ebb04bc3a6ab86c06ec8d8099f8fda1c96ef6d104d9bb1def1d8bc");
        expect(monitoringImage("grafana", config.versions)).toBe("grafana/grafana:11.2.0@sha256:408afb9726de5122b00a2576763a8a57a3c86d5b0eff5305bc994ceb3eb96c3f");
        expect(monitoringImage("nodeExporter", config.versions)).toBe("prom/node-exporter:v1.8.2@sha256:4032c6d5bfd752342c3e631c2f1de93ba6b86c41db6b167b9a35372c139e7706");
        expect(() => monitoringImage("prometheus", { ...config.versions, prometheus: "v2.99.0" })).toThrow(UnpinnedImageError);
        expect(() => monitoringImage("prometheus", { ...config.versions, prometheus: "v2.99.0" })).toThrow(/edge-estate:versions.prometheus: "v2.99.0" has no pinned image digest/);
    });

    it("a missing budget entry is a config error naming the key", () => {
        const noAgent: EstateConfig = { ...config, budget: { ...config.budget, components: { ...budget, prometheusAgent: undefined as any } } };
        delete (noAgent.budget.components as any).prometheusAgent;
        expect(() => siteMonitoringObjects(planSite(noAgent, site), "pw", "ca")).toThrow(/edge-estate:budget.components.prometheusAgent is missing/);
    });

    it("brackets an IPv6 hub address in the remote-write URL", () => {
        const v6: EstateConfig = {
            ...config,
            sites: config.sites.map((s) => (s.id === config.monitoring.hubSite ? { ...s, hosts: s.hosts.map((h, i) => (i === 0 ? { ...h, address: "fd00::11" } : h)) } : s)),
        };
        expect(remoteWriteUrl(planSite(v6, site))).toBe("https://[fd00::11]:30990/api/v1/write");
        // The certificate is checked for the bare address (an IP SAN), not the bracketed URL form.
        expect(remoteWriteServerName(planSite(v6, site))).toBe("fd00::11");
    });

    it("sets GOMEMLIMIT to 80 % of the memory limit and rolls the pods when the config changes", () => {
        const agent = siteMonitoringObjects(planSite(config, site), "pw", "ca").find((o) => o.kind === "Deployment") as any;
        const env = agent.spec.template.spec.containers[0].env;
        expect(env).toContainEqual({ name: "GOMEMLIMIT", value: String(Math.floor(256 * 2 ** 20 * 0.8)) });
        const other = siteMonitoringObjects(planSite(config, config.sites.find((s) => s.id !== site.id)!), "pw", "ca").find((o) => o.kind === "Deployment") as any;
        expect(other.spec.template.metadata.annotations["edge-estate/config-sha256"]).not.toBe(agent.spec.template.metadata.annotations["edge-estate/config-sha256"]);
    });

    it("keeps secrets out of ConfigMaps and env values: they enter only through Secrets", () => {
        const objects = [
            ...siteMonitoringObjects(planSite(config, site), "AGENT-PW", "REGION-CA"),
            ...hubMonitoringObjects(config, config.versions, { ...hubSecrets, webConfigYaml: "WEB-YAML", readerPassword: "READER-PW", grafanaAdminPassword: "ADMIN-PW" }),
        ];
        for (const o of objects.filter((x) => x.kind !== "Secret")) {
            const text = JSON.stringify(o);
            for (const secret of ["AGENT-PW", "WEB-YAML", "READER-PW", "ADMIN-PW", "HUB-KEY", "GRAFANA-KEY"]) expect(text, `${o.kind}/${o.metadata.name}`).not.toContain(secret);
        }
        const grafana = hubMonitoringObjects(config, config.versions, hubSecrets).find((o) => o.kind === "Deployment" && o.metadata.name === "grafana") as any;
        const adminEnv = grafana.spec.template.spec.containers[0].env.find((e: any) => e.name === "GF_SECURITY_ADMIN_PASSWORD");
        expect(adminEnv.valueFrom.secretKeyRef).toEqual({ name: "grafana-auth", key: "admin-password" });
    });

    it("the hub receiver and Grafana serve TLS from kubernetes.io/tls Secrets whose keys are never world-readable", () => {
        const objects = hubMonitoringObjects(config, config.versions, hubSecrets);
        const byName = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) as any;
        expect(byName("Secret", "prometheus-hub-tls")).toMatchObject({ type: "kubernetes.io/tls", stringData: { "tls.crt": "HUB-CHAIN", "tls.key": "HUB-KEY" } });
        expect(byName("Secret", "grafana-tls")).toMatchObject({ type: "kubernetes.io/tls", stringData: { "tls.crt": "GRAFANA-CHAIN", "tls.key": "GRAFANA-KEY" } });
        for (const [deployment, uid] of [["prometheus-hub", 65534], ["grafana", 472]] as const) {
            const pod = byName("Deployment", deployment).spec.template.spec;
            const tlsVolume = pod.volumes.find((v: any) => v.name === "tls");
            expect(tlsVolume.secret.secretName, deployment).toBe(`${deployment}-tls`);
            // 0440: the pod's user and its fsGroup read it, nobody else.
            expect(tlsVolume.secret.defaultMode & 0o007, deployment).toBe(0);
            expect(pod.securityContext.fsGroup, deployment).toBe(uid);
            expect(pod.containers[0].volumeMounts.find((m: any) => m.name === "tls").readOnly).toBe(true);
        }
        const prom = byName("Deployment", "prometheus-hub").spec.template.spec.containers[0];
        expect(prom.args).toContain("--web.config.file=/etc/prometheus/web/web.yml");
        expect(prom.volumeMounts.find((m: any) => m.name === "tls").mountPath).toBe("/etc/prometheus/tls");
        const grafana = byName("Deployment", "grafana").spec.template.spec.containers[0];
        const env = Object.fromEntries(grafana.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
        expect(env.GF_SERVER_PROTOCOL).toBe("https");
        expect(env.GF_SERVER_CERT_FILE).toBe("/etc/grafana/tls/tls.crt");
        expect(env.GF_SERVER_CERT_KEY).toBe("/etc/grafana/tls/tls.key");
        expect(env.REGION_CA_CERT).toEqual({ configMapKeyRef: { name: "region-tls-ca", key: "ca.crt" } });
        expect(grafana.volumeMounts.find((m: any) => m.name === "tls").mountPath).toBe("/etc/grafana/tls");
        expect(grafana.readinessProbe.httpGet.scheme).toBe("HTTPS");
    });

    it("every site's agent pins the region CA from the region-tls-ca ConfigMap", () => {
        const objects = siteMonitoringObjects(planSite(config, site), "pw", "REGION-CA");
        const cm = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "region-tls-ca") as any;
        expect(cm.data).toEqual({ "ca.crt": "REGION-CA" });
        const pod = (objects.find((o) => o.kind === "Deployment") as any).spec.template.spec;
        expect(pod.volumes.find((v: any) => v.name === "region-ca").configMap.name).toBe("region-tls-ca");
        expect(pod.containers[0].volumeMounts.find((m: any) => m.name === "region-ca").mountPath).toBe("/etc/prometheus/region-ca");
    });
});
