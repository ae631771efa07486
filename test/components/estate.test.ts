// The component tree under Pulumi mocks (components/estate.ts, site/site.ts, host/host.ts): what is registered
// per host and site, parentage, provider wiring, stable names and secrets, as the engine would receive them.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
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

    it("gives every host its own Host component with all its commands as children: steps, probe, image push and import", () => {
        const base = ["00-preflight", "01-fetch-artifacts", "02-wasmedge-shim", "03-k3s-config", "04-k3s-install", "05-verify-wasm"];
        for (const site of config.sites) {
            const siteUrn = of("edge-estate:index:Site").find((s) => s.name === site.id)!.urn;
            for (const [i, host] of site.hosts.entries()) {
                const h = of("edge-estate:index:Host").find((x) => x.name === `${site.id}.${host.id}`);
                expect(h, `${site.id}.${host.id}`).toBeDefined();
                expect(h!.parent).toBe(siteUrn);
                const prefix = `${site.id}.${host.id}.`;
                // Pulumi.prod.yaml lists each site's first server first; only it fetches the kubeconfig. The tracking
                // image import (download mode, no registry image) follows the host's own steps; servers then get
                // the datastore-backup step; every host ends with the tracking data directory.
                const own = i === 0 ? [...base, "06-kubeconfig", "07-import-image"] : [...base, "06-import-image"];
                if (host.role === "server") own.push(`${String(own.length).padStart(2, "0")}-datastore-backup`);
                own.push(`${String(own.length).padStart(2, "0")}-tracking-data-dir`);
                const children = resources.filter((c) => c.parent === h!.urn);
                expect(children.filter((c) => c.type === "command:remote:Command").map((c) => c.name)).toEqual(own.map((n) => prefix + n));
                expect(children.filter((c) => c.type === "command:remote:CopyToRemote").map((c) => c.name)).toEqual([`${prefix}push-tracking-image`]);
                expect(children.filter((c) => c.type === "pulumi-nodejs:dynamic:HostProbe").map((c) => c.name)).toEqual([`${prefix}probe`]);
            }
        }
    });

    it("puts nothing at the stack root but the estate, and every add-on in its own component under its site", () => {
        const [stack] = of("pulumi:pulumi:Stack");
        expect(resources.filter((r) => r.parent === stack.urn).map((r) => r.type)).toEqual(["edge-estate:index:Estate"]);
        const addonTypes = ["edge-estate:addons:Gatekeeper", "edge-estate:addons:Broker", "edge-estate:addons:Tracking", "edge-estate:addons:Monitoring"];
        for (const site of config.sites) {
            const siteUrn = of("edge-estate:index:Site").find((s) => s.name === site.id)!.urn;
            const components = resources.filter((r) => r.parent === siteUrn && r.type.startsWith("edge-estate:addons:"));
            const expected = site.id === "sh-pudong" ? [...addonTypes, "edge-estate:addons:MonitoringHub"] : addonTypes;
            expect(components.map((c) => c.type).sort(), site.id).toEqual([...expected].sort());
        }
        // Directly under a site: its hosts, its K3s token, its provider, the foundation objects and the add-ons.
        const siteChildren = resources.filter((r) => r.parent && byUrn.get(r.parent)?.type === "edge-estate:index:Site");
        const kinds = new Set(siteChildren.map((r) => (r.type.startsWith("kubernetes:core/v1:") ? `${r.type}:${(r.inputs.metadata as { name: string }).name}` : r.type)));
        expect([...kinds].sort()).toEqual(
            [
                "edge-estate:index:Host",
                "random:index/randomPassword:RandomPassword",
                // The site's cluster CAs (components/site/cluster-trust.ts).
                "tls:index/privateKey:PrivateKey",
                "tls:index/selfSignedCert:SelfSignedCert",
                // Default-deny and the allowed flows (components/site/network-policies.ts).
                "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                "pulumi:providers:kubernetes",
                "kubernetes:core/v1:Namespace:edge-system",
                "kubernetes:core/v1:ConfigMap:edge-site-info",
                ...addonTypes,
                "edge-estate:addons:MonitoringHub",
            ].sort(),
        );
    });

    it("registers the estate's outputs once every site is built, and the stack's per-site API servers", () => {
        // Sites are built one at a time (components/estate.ts); the outputs must still name every site.
        const [estate] = of("edge-estate:index:Estate");
        expect([...estate.outputs!.siteIds].sort()).toEqual(config.sites.map((s) => s.id).sort());
        const [stack] = of("pulumi:pulumi:Stack");
        const sites = stack.outputs!.sites as Record<string, { apiServer: string }>;
        expect(Object.keys(sites).sort()).toEqual(config.sites.map((s) => s.id).sort());
        for (const site of config.sites) {
            const m = /^https:\/\/(?:\[([0-9a-f:]+)\]|([^[\]:/]+)):6443$/.exec(sites[site.id].apiServer);
            expect(m, `${site.id}: ${sites[site.id].apiServer}`).not.toBeNull();
            const servers = site.hosts.filter((h) => h.role === "server").map((h) => h.address);
            expect(servers, site.id).toContain(m![1] ?? m![2]);
        }
    });

    it("creates the region's monitoring passwords once, under the estate", () => {
        const [estate] = of("edge-estate:index:Estate");
        const names = resources.filter((r) => r.parent === estate.urn && r.type === "random:index/randomPassword:RandomPassword").map((r) => r.name);
        expect(names.sort()).toEqual([...config.sites.map((s) => `cn-east-${s.id}-monitoring-remote-write`), "cn-east-monitoring-hub-reader"].sort());
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
