// The Broker add-on component under the one mock harness, on the prod stack file (no device CA: no device
// listener): its passwords, its objects, where it runs. Expected values are written out from Pulumi.prod.yaml.
import { beforeAll, describe, expect, it } from "vitest";
import { type Registered, type RegisteredStack, registerStackFile } from "../program-under-mocks";

const SIG = "4dabf18193072939515e22adb298388d";

let rs: Registered[];
let byUrn: Map<string, Registered>;
let find: RegisteredStack["find"];

beforeAll(async () => {
    ({ rs, byUrn, find } = await registerStackFile("Pulumi.prod.yaml"));
}, 60_000);

describe("Broker component", () => {
    it("owns one 32-character password per client class and the Mosquitto objects, nothing else", () => {
        const broker = find("edge-estate:addons:Broker", "hz-xihu-broker");
        expect(broker.parent).toBe(find("edge-estate:index:Site", "hz-xihu").urn);
        expect(broker.outputs).toEqual({});
        const children = rs.filter((r) => r.parent === broker.urn);
        expect(children.map((r) => `${r.type}::${r.name}`).sort()).toEqual(
            [
                "random:index/randomPassword:RandomPassword::hz-xihu-mqtt-tracking",
                "random:index/randomPassword:RandomPassword::hz-xihu-mqtt-device",
                "random:index/randomPassword:RandomPassword::hz-xihu-mqtt-monitor",
                "kubernetes:core/v1:ConfigMap::hz-xihu-configmap-edge-system-mqtt-broker-config",
                "kubernetes:core/v1:Secret::hz-xihu-secret-edge-system-mqtt-broker-auth",
                "kubernetes:core/v1:Secret::hz-xihu-secret-edge-system-mqtt-device-credentials",
                "kubernetes:core/v1:Secret::hz-xihu-secret-edge-system-mqtt-monitor-credentials",
                "kubernetes:core/v1:Secret::hz-xihu-secret-edge-system-mqtt-tracking-credentials",
                "kubernetes:core/v1:PersistentVolumeClaim::hz-xihu-persistentvolumeclaim-edge-system-mqtt-broker-data",
                "kubernetes:apps/v1:Deployment::hz-xihu-deployment-edge-system-mqtt-broker",
                "kubernetes:core/v1:Service::hz-xihu-service-edge-system-mqtt-broker",
            ].sort(),
        );
        for (const cls of ["tracking", "device", "monitor"]) expect(find("random:index/randomPassword:RandomPassword", `hz-xihu-mqtt-${cls}`).inputs).toEqual({ length: 32, special: false });
    });

    it("keeps the password file and every client's credentials secret, each credential Secret after its password", () => {
        const auth = find("kubernetes:core/v1:Secret", "hz-xihu-secret-edge-system-mqtt-broker-auth");
        expect(JSON.stringify(auth.inputs)).toContain(SIG);
        for (const cls of ["tracking", "device", "monitor"]) {
            const s = find("kubernetes:core/v1:Secret", `hz-xihu-secret-edge-system-mqtt-${cls}-credentials`);
            expect(JSON.stringify(s.inputs), cls).toContain(SIG);
            expect(s.dependencies, cls).toContain(find("random:index/randomPassword:RandomPassword", `hz-xihu-mqtt-${cls}`).urn);
        }
    });

    it("runs on the site's first server with the pinned Mosquitto image, on the site's provider, after the foundation", () => {
        const d = find("kubernetes:apps/v1:Deployment", "nb-yinzhou-deployment-edge-system-mqtt-broker");
        const spec = d.inputs.spec.template.spec;
        expect(spec.nodeSelector).toEqual({ "edge-estate/host": "srv-a" });
        expect(spec.containers[0].image).toMatch(/^eclipse-mosquitto:2\.0\.18@sha256:[0-9a-f]{64}$/);
        expect(d.provider).toBe(find("pulumi:providers:kubernetes", "nb-yinzhou-k8s").urn);
        expect(d.dependencies.map((u) => byUrn.get(u)!.name).sort()).toEqual(["nb-yinzhou-configmap-edge-system-edge-site-info", "nb-yinzhou-namespace-edge-system"]);
    });
});
