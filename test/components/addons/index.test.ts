// deploySiteAddons (components/addons/index.ts) in the whole prod stack (Pulumi.prod.yaml) under mocks: every
// add-on object on its own site's provider and parented to its site, keyed by site/host ids, secrets secret, and
// the ordering the engine must respect (chart -> templates -> constraints; copy -> import -> Deployment).
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { mosquittoPasswordLine } from "../../../components/addons/broker/config";
import { inspectOciArchive, localImageRef, ociArchivePath } from "../../../components/addons/tracking/image";
import { loadStackFile } from "../../../components/config/load";
import { scriptFromCommandLine } from "../../../components/host/remote-script";
import { isSecretEnvelope } from "../../../scripts/synth/secrets";
import { MOCK_PASSWORD, type Registered, registerProgram } from "./program-under-mocks";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
let all: Registered[];
const byUrn = new Map<string, Registered>();
const siteUrn = (id: string) => all.find((r) => r.type === "edge-estate:index:Site" && r.name === id)!.urn;
const find = (type: string, name: string) => {
    const r = all.find((x) => x.type === type && x.name === name);
    expect(r, `${type} ${name}`).toBeDefined();
    return r!;
};
const dependsOn = (r: Registered, other: Registered) => r.dependencies.includes(other.urn);

beforeAll(async () => {
    all = await registerProgram(config);
    for (const r of all) byUrn.set(r.urn, r);
}, 120_000);

describe("add-ons in the prod stack", () => {
    it("register every add-on object on its own site's provider, parented to that site's add-on components", () => {
        for (const site of config.sites) {
            const addons = new Set(all.filter((r) => r.parent === siteUrn(site.id) && r.type.startsWith("edge-estate:addons:")).map((r) => r.urn));
            const mine = all.filter((r) => r.parent !== undefined && addons.has(r.parent) && r.type.startsWith("kubernetes:"));
            const names = mine.map((r) => r.name);
            for (const expected of [
                `${site.id}-gatekeeper`,
                `${site.id}-namespace-gatekeeper-system`,
                `${site.id}-constrainttemplate-edgecontainerresources`,
                `${site.id}-edgecontainerresources-edge-container-resources`,
                `${site.id}-deployment-edge-system-mqtt-broker`,
                `${site.id}-service-edge-system-mqtt-broker`,
                `${site.id}-secret-edge-system-mqtt-broker-auth`,
                `${site.id}-persistentvolumeclaim-edge-system-mqtt-broker-data`,
                `${site.id}-deployment-edge-system-tracking`,
                `${site.id}-service-edge-system-tracking`,
                `${site.id}-poddisruptionbudget-edge-system-tracking`,
            ])
                expect(names, site.id).toContain(expected);
            for (const r of mine) expect(r.provider, r.name).toMatch(new RegExp(`::${site.id}-k8s$`));
        }
    });

    it("installs the pinned Gatekeeper chart per site as one helm.v4 Chart component (no children under mocks)", () => {
        for (const site of config.sites) {
            const chart = find("kubernetes:helm.sh/v4:Chart", `${site.id}-gatekeeper`);
            expect(chart.custom).toBe(false);
            expect(chart.inputs.chart).toBe("gatekeeper");
            expect(chart.inputs.version).toBe("3.15.1");
            expect(chart.inputs.namespace).toBe("gatekeeper-system");
            expect(chart.inputs.values.replicas).toBe(1);
            expect(all.filter((r) => r.parent === chart.urn)).toEqual([]);
        }
    });

    it("orders Gatekeeper: namespace -> chart -> templates -> constraints", () => {
        for (const site of config.sites) {
            const chart = find("kubernetes:helm.sh/v4:Chart", `${site.id}-gatekeeper`);
            expect(dependsOn(chart, find("kubernetes:core/v1:Namespace", `${site.id}-namespace-gatekeeper-system`))).toBe(true);
            const gatekeeper = find("edge-estate:addons:Gatekeeper", `${site.id}-gatekeeper`);
            expect(gatekeeper.parent).toBe(siteUrn(site.id));
            const templates = all.filter((r) => r.type === "kubernetes:templates.gatekeeper.sh/v1:ConstraintTemplate" && r.parent === gatekeeper.urn);
            const constraints = all.filter((r) => r.type.startsWith("kubernetes:constraints.gatekeeper.sh/v1beta1:") && r.parent === gatekeeper.urn);
            expect(templates).toHaveLength(3);
            expect(constraints).toHaveLength(3);
            for (const t of templates) expect(dependsOn(t, chart), t.name).toBe(true);
            for (const c of constraints) for (const t of templates) expect(dependsOn(c, t), `${c.name} after ${t.name}`).toBe(true);
        }
    });

    it("gives each site its own random MQTT passwords per client class, only ever as secrets", () => {
        for (const site of config.sites) {
            for (const cls of ["tracking", "device", "monitor"]) find("random:index/randomPassword:RandomPassword", `${site.id}-mqtt-${cls}`);
            const auth = find("kubernetes:core/v1:Secret", `${site.id}-secret-edge-system-mqtt-broker-auth`);
            expect(isSecretEnvelope(auth.inputs.stringData) || isSecretEnvelope(auth.inputs.stringData?.passwd)).toBe(true);
            const text = JSON.stringify(auth.inputs);
            // The password file holds the $7$ hash of the site's own tracking password, never the password itself.
            expect(text).toContain(JSON.stringify(mosquittoPasswordLine("tracking", `${MOCK_PASSWORD}-${site.id}-mqtt-tracking`)).slice(1, -1));
            expect(text).not.toContain(`${MOCK_PASSWORD}-${site.id}-mqtt-tracking"`);
            const creds = find("kubernetes:core/v1:Secret", `${site.id}-secret-edge-system-mqtt-tracking-credentials`);
            expect(isSecretEnvelope(creds.inputs.stringData) || isSecretEnvelope(creds.inputs.stringData?.password)).toBe(true);
        }
    });

    it("ships the tracking image to every host (copy, then import as step NN after the host's own steps) before the Deployment", () => {
        const image = inspectOciArchive(ociArchivePath());
        for (const site of config.sites) {
            const deployment = find("kubernetes:apps/v1:Deployment", `${site.id}-deployment-edge-system-tracking`);
            const spec = deployment.inputs.spec.template.spec;
            expect(spec.runtimeClassName).toBe("wasmedge");
            expect(spec.containers[0].image).toBe(localImageRef(image.manifestDigest));
            expect(deployment.inputs.spec.replicas).toBe(site.trackingReplicas ?? config.tracking.replicas);
            expect(dependsOn(deployment, find("kubernetes:core/v1:Service", `${site.id}-service-edge-system-mqtt-broker`))).toBe(true);
            for (const [i, host] of site.hosts.entries()) {
                // The host's own steps are 00..05, plus 06-kubeconfig on the first server (listed first in Pulumi.prod.yaml).
                const order = i === 0 ? "07" : "06";
                const imp = find("command:remote:Command", `${site.id}.${host.id}.${order}-import-image`);
                const copy = find("command:remote:CopyToRemote", `${site.id}.${host.id}.push-tracking-image`);
                const hostComponent = find("edge-estate:index:Host", `${site.id}.${host.id}`);
                expect(imp.parent).toBe(hostComponent.urn);
                expect(copy.parent).toBe(hostComponent.urn);
                expect(dependsOn(imp, copy)).toBe(true);
                expect(dependsOn(deployment, imp)).toBe(true);
                expect(isSecretEnvelope(copy.inputs.connection)).toBe(true);
                const script = scriptFromCommandLine(imp.inputs.create)!;
                expect(script).toContain(`export IMAGE_DIGEST='${image.manifestDigest}'`);
                expect(script).toContain(`export IMAGE_ARCHIVE_SHA256='${image.archiveSha256}'`);
                // The copy waits for the host to be provisioned (its last own step, the one before the import).
                const hostCommands = all.filter((r) => r.parent === hostComponent.urn && r.type === "command:remote:Command");
                const lastStep = hostCommands[hostCommands.indexOf(imp) - 1];
                expect(dependsOn(copy, lastStep)).toBe(true);
                // Re-provisioning the host (new id of its last step) re-runs the copy and the import.
                expect(copy.inputs.triggers).toContain(`${lastStep.name}-id`);
                expect(imp.inputs.triggers).toContain(`${lastStep.name}-id`);
            }
        }
    });

    it("keeps plain MQTT inside the cluster (no device CA in prod: no device port) and pins the broker to the first server", () => {
        for (const site of config.sites) {
            const svc = find("kubernetes:core/v1:Service", `${site.id}-service-edge-system-mqtt-broker`);
            expect(svc.inputs.spec.type).toBe("ClusterIP");
            expect(svc.inputs.spec.ports[0].nodePort).toBeUndefined();
            const dep = find("kubernetes:apps/v1:Deployment", `${site.id}-deployment-edge-system-mqtt-broker`);
            expect(dep.inputs.spec.template.spec.nodeSelector).toEqual({ "edge-estate/host": site.hosts.find((h) => h.role === "server")!.id });
        }
    });
});
