// The component tree under Pulumi mocks (components/estate.ts, site/site.ts, host/host.ts): what is registered
// per host and site, parentage, provider wiring, stable names and secrets, as the engine would receive them.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { planHostSteps } from "../../components/host/steps";
import { type RecordedResource, runProgramUnderMocks, SYNTH_SECRET_MARKER } from "../../scripts/synth/run";
import { isSecretEnvelope } from "../../scripts/synth/secrets";

const root = path.join(__dirname, "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
let resources: RecordedResource[];
const byUrn = new Map<string, RecordedResource>();
const of = (type: string) => resources.filter((r) => r.type === type);

beforeAll(async () => {
    resources = await runProgramUnderMocks(config, "prod", "-----BEGIN OPENSSH PRIVATE KEY-----\nTESTKEY\n-----END OPENSSH PRIVATE KEY-----\n");
    for (const r of resources) byUrn.set(r.urn, r);
});

describe("estate under mocks", () => {
    it("registers one Site per configured site, keyed by site id, under the region's Estate", () => {
        const [estate] = of("edge-estate:index:Estate");
        expect(estate.name).toBe("cn-east");
        const sites = of("edge-estate:index:Site");
        expect(sites.map((s) => s.name).sort()).toEqual(config.sites.map((s) => s.id).sort());
        for (const s of sites) expect(s.parent).toBe(estate.urn);
    });

    it("gives every host its own Host component with its ordered steps as children", () => {
        for (const site of config.sites) {
            const siteUrn = of("edge-estate:index:Site").find((s) => s.name === site.id)!.urn;
            for (const host of site.hosts) {
                const h = of("edge-estate:index:Host").find((x) => x.name === `${site.id}.${host.id}`);
                expect(h, `${site.id}.${host.id}`).toBeDefined();
                expect(h!.parent).toBe(siteUrn);
                const cmds = of("command:remote:Command").filter((c) => c.parent === h!.urn);
                const expected = planHostSteps(config, site, host, config.versions).map((s) => `${site.id}.${host.id}.${s.order}-${s.name}`);
                expect(cmds.map((c) => c.name)).toEqual(expected);
            }
        }
    });

    it("has no duplicate type+name (the real engine would refuse them)", () => {
        const keys = resources.map((r) => `${r.type}::${r.name}`);
        expect(new Set(keys).size).toBe(keys.length);
    });

    it("creates one Kubernetes provider per site with a stable clusterIdentifier, skipUpdateUnreachable and a secret kubeconfig", () => {
        const providers = of("pulumi:providers:kubernetes");
        expect(providers.map((p) => p.name).sort()).toEqual(config.sites.map((s) => `${s.id}-k8s`).sort());
        for (const p of providers) {
            const site = p.name.replace(/-k8s$/, "");
            expect(p.inputs.clusterIdentifier).toBe(`cn-east/${site}`);
            expect(String(p.inputs.skipUpdateUnreachable)).toBe("true");
            expect(String(p.inputs.deleteUnreachable)).toBe("false");
            expect(isSecretEnvelope(p.inputs.kubeconfig)).toBe(true);
        }
    });

    it("applies every Kubernetes object through its own site's provider", () => {
        const k8sObjects = resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
        expect(k8sObjects.length).toBeGreaterThanOrEqual(config.sites.length * 2);
        for (const o of k8sObjects) {
            let site: RecordedResource | undefined = o;
            while (site && site.type !== "edge-estate:index:Site") site = site.parent ? byUrn.get(site.parent) : undefined;
            expect(site, o.name).toBeDefined();
            expect(o.provider).toContain(`::${site!.name}-k8s`);
        }
    });

    it("keeps secrets secret: SSH connection, token on stdin, kubeconfig; none in any command text", () => {
        for (const c of of("command:remote:Command")) {
            expect(isSecretEnvelope(c.inputs.connection), c.name).toBe(true);
            const create = c.inputs.create as string;
            expect(create).not.toContain(SYNTH_SECRET_MARKER);
            expect(create).not.toContain("TESTKEY");
            if (c.name.endsWith("-k3s-config")) {
                expect(isSecretEnvelope(c.inputs.stdin)).toBe(true);
                expect(c.inputs.logging).toBe("none");
            } else if (c.name.endsWith("-kubeconfig")) {
                expect(c.inputs.logging).toBe("none");
            } else {
                expect(c.inputs.stdin).toBeUndefined();
            }
        }
        const passwords = of("random:index/randomPassword:RandomPassword").map((r) => r.name);
        for (const s of config.sites) expect(passwords).toContain(`${s.id}-k3s-token`);
    });

    it("makes joining hosts use the first server and connects with each host's own port and user", () => {
        const nj = of("command:remote:Command").find((c) => c.name === "nj-xuanwu.srv-a.00-preflight")!;
        const conn = (nj.inputs.connection as { value: Record<string, unknown> }).value;
        expect(conn.port).toBe(2222);
        expect(conn.user).toBe("edgeops");
        expect(isSecretEnvelope(conn.privateKey) || typeof conn.privateKey === "string").toBe(true);
    });
});
