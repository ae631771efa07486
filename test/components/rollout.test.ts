// Upgrades in waves and per-site isolation, proven on the registered inputs of two mock runs of the real program
// (what the engine would diff): a version bump limited to waves <= N changes only those sites, and a change to
// one site's config leaves every other site's provider and resources exactly as they were.
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_VERSIONS } from "../../components/config/defaults";
import type { EstateConfig, Versions } from "../../components/config/types";
import { validateEstateConfig } from "../../components/config/validate";
import { versionsForSite } from "../../components/plan";
import { generatedHostKey } from "../../scripts/generate-stack";
import { type Registered, registerUnderMocks, registrationFingerprint, siteOfResource, TEST_PRIVATE_KEY } from "./host/probe-mocks";

// The pinned defaults are what every site runs before a rollout.
const BASE_VERSIONS: Versions = DEFAULT_VERSIONS;
const NEXT: Partial<Versions> = { k3s: "v1.30.6+k3s1", wasmedgeShim: "v0.6.1" };

function rawStack(extra: Record<string, unknown> = {}, siteEdit?: (sites: any[]) => void) {
    const sites: any[] = [
        { id: "sh-pudong", city: "上海浦东", wave: 0, hosts: [{ id: "srv-a", address: "10.20.1.11", role: "server" }, { id: "srv-b", address: "10.20.1.12", role: "server" }, { id: "srv-c", address: "10.20.1.13", role: "server" }] },
        { id: "hz-xihu", city: "杭州西湖", wave: 0, hosts: [{ id: "srv-a", address: "10.20.2.11", role: "server" }] },
        { id: "sz-gusu", city: "苏州姑苏", wave: 1, hosts: [{ id: "srv-a", address: "10.20.3.11", role: "server" }, { id: "wrk-a", address: "10.20.3.21", role: "agent" }] },
        { id: "nb-yinzhou", city: "宁波鄞州", wave: 2, hosts: [{ id: "srv-a", address: "10.20.5.11", role: "server" }] },
        { id: "hf-shushan", city: "合肥蜀山", wave: 3, hosts: [{ id: "srv-a", address: "10.20.6.11", role: "server" }, { id: "wrk-a", address: "10.20.6.21", role: "agent" }] },
    ];
    // Pinned host keys, as every real stack has them.
    for (const s of sites) for (const h of s.hosts) h.hostKey = generatedHostKey(1, s.id, h.id);
    siteEdit?.(sites);
    return { region: "cn-east", sites, monitoring: { hubSite: "sh-pudong" }, versions: BASE_VERSIONS, ...extra };
}

function configOf(raw: Record<string, unknown>): EstateConfig {
    return validateEstateConfig(raw, { sshPrivateKeyPresent: true, sshPrivateKeyPlaintext: TEST_PRIVATE_KEY, requirePins: false });
}

/** site id -> (urn -> fingerprint) for every resource that belongs to a site. */
function bySite(resources: Registered[], config: EstateConfig): Map<string, Map<string, string>> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const siteIds = config.sites.map((s) => s.id);
    const out = new Map<string, Map<string, string>>(siteIds.map((s) => [s, new Map()]));
    for (const r of resources) {
        const site = siteOfResource(r, siteIds, byUrn);
        if (site) out.get(site)!.set(r.urn, registrationFingerprint(r));
    }
    return out;
}

function changedUrns(a: Map<string, string>, b: Map<string, string>): string[] {
    const urns = new Set([...a.keys(), ...b.keys()]);
    return [...urns].filter((u) => a.get(u) !== b.get(u)).sort();
}

describe("versionsForSite", () => {
    it("gives sites up to throughWave the new versions and the rest previousVersions merged over them", () => {
        const config = configOf(rawStack({ versions: { ...BASE_VERSIONS, ...NEXT }, rollout: { throughWave: 1, previousVersions: { k3s: BASE_VERSIONS.k3s, wasmedgeShim: BASE_VERSIONS.wasmedgeShim } } }));
        const got = Object.fromEntries(config.sites.map((s) => [s.id, versionsForSite(config, s)]));
        for (const id of ["sh-pudong", "hz-xihu", "sz-gusu"]) expect(got[id]).toEqual({ ...BASE_VERSIONS, ...NEXT });
        for (const id of ["nb-yinzhou", "hf-shushan"]) expect(got[id]).toEqual(BASE_VERSIONS);
    });

    it("without a rollout every site gets `versions`", () => {
        const config = configOf(rawStack({ versions: { ...BASE_VERSIONS, ...NEXT } }));
        for (const s of config.sites) expect(versionsForSite(config, s)).toEqual({ ...BASE_VERSIONS, ...NEXT });
    });

    it("refuses throughWave without previousVersions, naming the key", () => {
        expect(() => configOf(rawStack({ rollout: { throughWave: 0 } }))).toThrow(/edge-estate:rollout\.previousVersions: is required with rollout\.throughWave/);
    });

    it("refuses a malformed previous version, naming the key and an example", () => {
        expect(() => configOf(rawStack({ rollout: { throughWave: 0, previousVersions: { k3s: "1.30" } } }))).toThrow(/rollout\.previousVersions\.k3s: "1\.30" is not a k3s version like "v1\.30\.4\+k3s1"/);
    });
});

// Mock runs cost about a second each, so the baseline and the mid-rollout run are shared.
const ROLLOUT = { versions: { ...BASE_VERSIONS, ...NEXT }, rollout: { throughWave: 1, previousVersions: { k3s: BASE_VERSIONS.k3s, wasmedgeShim: BASE_VERSIONS.wasmedgeShim } } };
const baseConfig = configOf(rawStack());
const duringConfig = configOf(rawStack(ROLLOUT));
let baseline: Map<string, Map<string, string>>;
let during: Map<string, Map<string, string>>;

beforeAll(async () => {
    baseline = bySite(await registerUnderMocks(baseConfig), baseConfig);
    during = bySite(await registerUnderMocks(duringConfig), duringConfig);
}, 120_000);

describe("wave rollout under mocks", () => {
    it("a K3s + shim bump through wave 1 changes only wave 0-1 sites: their host steps, never their provider", () => {
        for (const site of duringConfig.sites) {
            const changed = changedUrns(baseline.get(site.id)!, during.get(site.id)!);
            if (site.wave <= 1) {
                expect(changed.length, `${site.id} (wave ${site.wave}) should change`).toBeGreaterThan(0);
                // Every host of an upgraded site gets new step commands; the provider itself is untouched.
                for (const host of site.hosts) expect(changed.some((u) => u.endsWith(`::${site.id}.${host.id}.04-k3s-install`)), `${site.id}/${host.id}`).toBe(true);
                expect(changed.filter((u) => u.endsWith(`::${site.id}-k8s`))).toEqual([]);
                // New inputs carry the new versions, never the old ones.
                const install = [...during.get(site.id)!.entries()].find(([u]) => u.endsWith(`::${site.id}.${site.hosts[0].id}.04-k3s-install`))![1];
                expect(install).toContain(NEXT.k3s!);
                expect(install).not.toContain(BASE_VERSIONS.k3s);
            } else {
                expect(changed, `${site.id} (wave ${site.wave}) must not change`).toEqual([]);
            }
        }
    });

    it("add-on bumps (Gatekeeper, Mosquitto, Prometheus) through wave 0 change only the canary sites", async () => {
        const ADDONS: Partial<Versions> = { gatekeeper: "3.15.2", mosquitto: "2.0.20", prometheus: "v2.53.1" };
        const previousVersions = { gatekeeper: BASE_VERSIONS.gatekeeper, mosquitto: BASE_VERSIONS.mosquitto, prometheus: BASE_VERSIONS.prometheus };
        const canary = configOf(rawStack({ versions: { ...BASE_VERSIONS, ...ADDONS }, rollout: { throughWave: 0, previousVersions } }));
        const after = bySite(await registerUnderMocks(canary), canary);
        for (const site of canary.sites) {
            const changed = changedUrns(baseline.get(site.id)!, after.get(site.id)!);
            if (site.wave === 0) {
                expect(changed.length, site.id).toBeGreaterThan(0);
                // Add-ons ride on the site's Kubernetes provider: no host step may change for an add-on bump.
                expect(changed.filter((u) => u.includes("command:remote:Command")), site.id).toEqual([]);
                expect(changed.filter((u) => u.endsWith(`::${site.id}-k8s`))).toEqual([]);
            } else expect(changed, site.id).toEqual([]);
        }
    }, 60_000);

    it("finishing the rollout (dropping throughWave) changes only the sites that were still behind", async () => {
        const done = configOf(rawStack({ versions: { ...BASE_VERSIONS, ...NEXT } }));
        const after = bySite(await registerUnderMocks(done), done);
        for (const site of done.sites) {
            const changed = changedUrns(during.get(site.id)!, after.get(site.id)!);
            if (site.wave <= 1) expect(changed, site.id).toEqual([]);
            else expect(changed.length, site.id).toBeGreaterThan(0);
        }
    }, 60_000);
});

describe("per-site isolation under mocks", () => {
    const edits: [string, (sites: any[]) => void][] = [
        ["a host address change", (s) => (s[2].hosts[1].address = "10.20.3.99")],
        ["an added agent", (s) => s[3].hosts.push({ id: "wrk-a", address: "10.20.5.21", role: "agent", hostKey: generatedHostKey(1, s[3].id, "wrk-a") })],
        ["a removed agent", (s) => s[4].hosts.splice(1, 1)],
        ["a wave change", (s) => (s[1].wave = 3)],
        ["tracking replicas and a host label", (s) => ((s[2].trackingReplicas = 2), (s[2].hosts[0].labels = { "edge-estate/dock": "south" }))],
    ];
    for (const [what, edit] of edits) {
        it(`${what} on one site leaves every other site's provider and resources identical`, async () => {
            const after = configOf(rawStack({}, edit));
            const b = bySite(await registerUnderMocks(after), after);
            const changedSites = after.sites.filter((s) => changedUrns(baseline.get(s.id)!, b.get(s.id)!).length > 0).map((s) => s.id);
            expect(changedSites.length, `${what} must change exactly one site`).toBe(1);
            // The edited site keeps its provider's identity (clusterIdentifier), so its objects are not replaced either.
            const [edited] = changedSites;
            const provider = (m: Map<string, string>) => [...m.entries()].find(([u]) => u.endsWith(`::${edited}-k8s`))![1];
            expect(JSON.parse(provider(b.get(edited)!)).inputs.clusterIdentifier).toBe(`cn-east/${edited}`);
        }, 60_000);
    }
});
