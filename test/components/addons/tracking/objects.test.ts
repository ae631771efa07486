// components/addons/tracking/objects.ts: the Deployment honours the wasm-app contract (every env name is one the
// app's own config parser knows), the budget, the wasmedge RuntimeClass, probes and per-node data; bad replica
// counts are refused with the reason.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildTrackingObjects, TrackingPlacementError } from "../../../../components/addons/tracking/objects";
import { loadStackFile } from "../../../../components/config/load";
import { planSite } from "../../../../components/plan";

const root = path.join(__dirname, "..", "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
const site = (id: string) => config.sites.find((s) => s.id === id)!;
const build = (siteId: string, replicas: number) =>
    buildTrackingObjects({
        site: site(siteId),
        schedulableHosts: planSite(config, site(siteId)).schedulableHosts,
        namespace: "edge-system",
        image: "edge-estate.local/logistics-system@sha256:" + "d".repeat(64),
        imagePullPolicy: "Never",
        replicas,
        httpPort: config.tracking.httpPort,
        resources: config.budget.components.tracking,
        mqttCredentialsSecret: "mqtt-tracking-credentials",
    });
const deploymentOf = (objs: ReturnType<typeof build>) => objs.find((o) => o.kind === "Deployment") as any;

/** The settings wasm-app/src/config.ts accepts (its KNOWN_KEYS list). */
function appSettings(): string[] {
    const src = fs.readFileSync(path.join(root, "wasm-app", "src", "config.ts"), "utf8");
    const m = /KNOWN_KEYS: string\[\] = \[([\s\S]*?)\];/.exec(src);
    expect(m, "wasm-app/src/config.ts KNOWN_KEYS").not.toBeNull();
    return [...m![1].matchAll(/"([A-Z_]+)"/g)].map((x) => x[1]);
}

describe("tracking Deployment", () => {
    it("runs on the K3s built-in wasmedge RuntimeClass with the seed's requests and limits", () => {
        const d = deploymentOf(build("sh-pudong", 2));
        const spec = d.spec.template.spec;
        expect(spec.runtimeClassName).toBe("wasmedge");
        expect(spec.containers[0].resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "256Mi" } });
        expect(d.spec.replicas).toBe(2);
        expect(build("sh-pudong", 2).some((o) => o.kind === "RuntimeClass")).toBe(false);
    });

    it("sets only settings the Wasm app knows, with MQTT credentials from the Secret", () => {
        const env: { name: string; value?: string; valueFrom?: any }[] = deploymentOf(build("hz-xihu", 1)).spec.template.spec.containers[0].env;
        const known = appSettings();
        for (const e of env.filter((x) => x.name !== "NODE_NAME")) expect(known, e.name).toContain(e.name);
        const byName = Object.fromEntries(env.map((e) => [e.name, e]));
        expect(byName.SITE_ID.value).toBe("hz-xihu");
        expect(byName.HTTP_PORT.value).toBe("8080");
        expect(byName.MQTT_HOST.value).toBe("$(MQTT_BROKER_SERVICE_HOST)");
        expect(byName.MQTT_USERNAME.valueFrom.secretKeyRef).toEqual({ name: "mqtt-tracking-credentials", key: "username" });
        expect(byName.MQTT_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: "mqtt-tracking-credentials", key: "password" });
        expect(byName.MQTT_PASSWORD.value).toBeUndefined();
        // One persistent MQTT session per node (like the node's event log); $(NODE_NAME) expands only from
        // variables defined earlier in the list.
        expect(byName.MQTT_CLIENT_ID.value).toBe("tracking-$(NODE_NAME)");
        expect(byName.NODE_NAME.valueFrom.fieldRef.fieldPath).toBe("spec.nodeName");
        expect(env.findIndex((e) => e.name === "NODE_NAME")).toBeLessThan(env.findIndex((e) => e.name === "MQTT_CLIENT_ID"));
    });

    it("probes /healthz and /readyz and keeps DATA_DIR on the node", () => {
        const c = deploymentOf(build("hz-xihu", 1)).spec.template.spec.containers[0];
        expect(c.livenessProbe.httpGet.path).toBe("/healthz");
        expect(c.readinessProbe.httpGet.path).toBe("/readyz");
        expect(c.volumeMounts).toEqual([{ name: "data", mountPath: "/data" }]);
        const vol = deploymentOf(build("hz-xihu", 1)).spec.template.spec.volumes[0];
        // Directory: the host step made it for the pod's uid; the kubelet must never create it root-owned.
        expect(vol.hostPath).toEqual({ path: "/var/lib/edge-estate/tracking", type: "Directory" });
    });

    it("keeps one replica per node (each owns that node's event log) and a drainable PDB", () => {
        const objs = build("sh-pudong", 2);
        const d = deploymentOf(objs);
        expect(d.spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe("kubernetes.io/hostname");
        expect(d.spec.strategy.rollingUpdate).toEqual({ maxSurge: 0, maxUnavailable: 1 });
        expect((objs.find((o) => o.kind === "PodDisruptionBudget") as any).spec.maxUnavailable).toBe(1);
        expect((objs.find((o) => o.kind === "Service") as any).spec.ports[0]).toMatchObject({ port: 8080, targetPort: "http" });
    });

    it("refuses more replicas than schedulable hosts, naming them (tainted hosts do not count)", () => {
        // hf-shushan: srv-a, wrk-a (NoSchedule taint), wrk-b.
        expect(() => build("hf-shushan", 3)).toThrow(TrackingPlacementError);
        expect(() => build("hf-shushan", 3)).toThrow(/trackingReplicas 3 is more than its 2 schedulable host\(s\) \(srv-a, wrk-b\)/);
        expect(() => build("hf-shushan", 2)).not.toThrow();
    });
});
