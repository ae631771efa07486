// The rollout driver's flow on a stack backend that runs the real program under Pulumi's mocks for preview and
// up (the registered inputs are what the engine would diff), evaluates the real policy pack on every preview, and
// gates each wave on a real Prometheus (prom-lab.ts). The Pulumi CLI itself is not available here, so
// AutomationStack (the LocalWorkspace implementation of the same interface) is not run by these tests.
// What is proven: waves in order, preview before up, stop on a mandatory policy violation (config restored, no
// up), stop at the first failed gate (later waves never set, never applied), resume from the stack's config,
// rollout removed at the end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_VERSIONS } from "../../../components/config/defaults";
import type { EstateConfig, Versions } from "../../../components/config/types";
import { versionsForSite } from "../../../components/plan";
import type { RawEstateConfig } from "../../../components/config/validate";
import { evaluateRecordedResources } from "../../../policy-pack/offline";
import { configFromRaw, type PreviewOutcome, type RolloutStack, runRollout } from "../../../scripts/rollout/driver";
import type { ProbeFacts } from "../../../scripts/rollout/gate";
import { registerUnderMocks, registrationFingerprint, siteOfResource, TEST_PRIVATE_KEY, type Registered } from "../../components/host/probe-mocks";
import { PromLab, prometheusAvailable } from "./prom-lab";

const NEXT: Partial<Versions> = { k3s: "v1.30.6+k3s1", wasmedgeShim: "v0.6.1" };
const TARGET: Versions = { ...DEFAULT_VERSIONS, ...NEXT };

const SITES = [
    { id: "w0-hub", wave: 0, hosts: ["srv-a", "wrk-a"] },
    { id: "w1-a", wave: 1, hosts: ["srv-a"] },
    { id: "w1-b", wave: 1, hosts: ["srv-a"] },
    { id: "w2-a", wave: 2, hosts: ["srv-a", "wrk-a"] },
];
const lab = new PromLab("cn-test", SITES.map((s) => ({ id: s.id, nodes: s.hosts })));

function rawStack(extra: RawEstateConfig = {}): RawEstateConfig {
    return {
        region: "cn-test",
        sshPrivateKey: TEST_PRIVATE_KEY,
        monitoring: { hubSite: "w0-hub" },
        ssh: { acceptUnknownHostKeys: true },
        healthGate: { soakSeconds: 3, trackingP99Ms: 30, prometheusUrl: "http://127.0.0.1:9" },
        sites: SITES.map((s, i) => ({
            id: s.id,
            city: s.id,
            wave: s.wave,
            hosts: s.hosts.map((h, j) => ({ id: h, address: `10.99.${i}.${j + 10}`, role: j === 0 ? "server" : "agent" })),
        })),
        ...extra,
    };
}

/** site -> (urn -> fingerprint): what the engine would see per site. */
function fingerprints(resources: Registered[], config: EstateConfig): Map<string, string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const out = new Map<string, string>();
    const ids = config.sites.map((s) => s.id);
    for (const r of resources) {
        const site = siteOfResource(r, ids, byUrn);
        if (site) out.set(site, `${out.get(site) ?? ""}|${r.urn}=${registrationFingerprint(r)}`);
    }
    return out;
}

/**
 * The stack in memory. preview = the real program under mocks + the real policy pack; up = the same run, whose
 * per-site registrations become the "deployed" state; the hosts then run the versions their site got, except
 * hosts the test marks as stuck (an install that did not take). refresh re-reads those hosts into the probes.
 */
class MockProgramStack implements RolloutStack {
    readonly name = "cn-test";
    readonly ops: string[] = [];
    /** site -> fingerprint of what the last `up` applied. */
    deployed = new Map<string, string>();
    /** site -> the versions the last `up` gave it. */
    deployedVersions = new Map<string, Versions>();
    stuckHosts = new Set<string>();
    private probes: ProbeFacts[] = [];

    constructor(public raw: RawEstateConfig) {}

    async readConfig() {
        return structuredClone(this.raw);
    }
    async writeRollout(versions: Versions, rollout: { throughWave: number; previousVersions: Partial<Versions> } | undefined) {
        this.raw.versions = { ...versions };
        if (rollout) this.raw.rollout = structuredClone(rollout);
        else delete this.raw.rollout;
        this.ops.push(rollout ? `set throughWave=${rollout.throughWave}` : "remove rollout");
    }
    async preview(): Promise<PreviewOutcome> {
        this.ops.push("preview");
        const resources = await registerUnderMocks(configFromRaw(this.raw));
        const report = evaluateRecordedResources(resources);
        const v = (level: string) => report.violations.filter((x) => x.enforcementLevel === level).map((x) => ({ policy: x.policy, message: x.message }));
        return { mandatory: v("mandatory"), advisory: v("advisory") };
    }
    async up() {
        this.ops.push("up");
        const config = configFromRaw(this.raw);
        this.deployed = fingerprints(await registerUnderMocks(config), config);
        for (const s of config.sites) this.deployedVersions.set(s.id, versionsForSite(config, s));
    }
    async refresh() {
        this.ops.push("refresh");
        const config = configFromRaw(this.raw);
        this.probes = config.sites.flatMap((s) =>
            s.hosts.map((h) => ({
                siteId: s.id,
                hostId: h.id,
                status: "ok",
                k3sVersion: this.stuckHosts.has(`${s.id}/${h.id}`) ? DEFAULT_VERSIONS.k3s : (this.deployedVersions.get(s.id) ?? DEFAULT_VERSIONS).k3s,
                shimPresent: true,
            })),
        );
    }
    async probeFacts() {
        return this.probes;
    }
}

let baseline: Map<string, string>;
const logs: string[] = [];
const run = (stack: MockProgramStack, versions: Partial<Versions>) => runRollout(stack, { versions, prometheusUrl: lab.promUrl, log: (l) => logs.push(l) });

beforeAll(async () => {
    await lab.start();
    const config = configFromRaw(rawStack());
    baseline = fingerprints(await registerUnderMocks(config), config);
    await lab.warmUp(3);
}, 120_000);

afterAll(() => lab.stop());

describe.runIf(prometheusAvailable)("rollout driver", () => {
    it("stops at the first failed gate, never touches a later wave, and resumes from the stack config", async () => {
        const stack = new MockProgramStack(rawStack());
        lab.behaviour.set("w1-b", "agent-down");
        const first = await run(stack, NEXT);
        expect(first.status).toBe("gate-failed");
        if (first.status !== "gate-failed") return;
        expect(first.wave).toBe(1);
        expect(first.gate.failures.map((f) => [f.site, f.check])).toEqual([["w1-b", "reporting"]]);
        expect(stack.ops).toEqual(["set throughWave=0", "preview", "up", "refresh", "set throughWave=1", "preview", "up", "refresh"]);
        // The config stays at the failed wave; wave 2 was never set or applied.
        expect(stack.raw.rollout).toEqual({ throughWave: 1, previousVersions: { k3s: DEFAULT_VERSIONS.k3s, wasmedgeShim: DEFAULT_VERSIONS.wasmedgeShim } });
        expect(stack.raw.versions).toEqual(TARGET);
        expect(stack.deployedVersions.get("w1-b")).toEqual(TARGET);
        expect(stack.deployedVersions.get("w2-a")).toEqual(DEFAULT_VERSIONS);
        expect(stack.deployed.get("w2-a")).toBe(baseline.get("w2-a"));
        expect(stack.deployed.get("w1-a")).not.toBe(baseline.get("w1-a"));
        expect(logs.join("\n")).toContain("site w1-b: reporting check failed: measured agent heartbeat up == 0 during the window, threshold up == 1 throughout the window");

        // A different version set is refused while this rollout is in progress.
        await expect(run(stack, { k3s: "v1.30.7+k3s1" })).rejects.toThrow(/a rollout is in progress on this stack through wave 1/);

        // Fixed: the same command (no --versions needed) resumes at wave 1, then does wave 2 and finishes.
        lab.behaviour.set("w1-b", "healthy");
        await new Promise((r) => setTimeout(r, 4000)); // the down period leaves the 3 s window
        stack.ops.length = 0;
        const second = await run(stack, {});
        expect(second).toEqual({ status: "completed", waves: [1, 2] });
        expect(stack.ops).toEqual(["set throughWave=1", "preview", "up", "refresh", "set throughWave=2", "preview", "up", "refresh", "remove rollout"]);
        expect(stack.raw.rollout).toBeUndefined();
        expect(stack.raw.versions).toEqual(TARGET);
        for (const s of SITES) expect(stack.deployedVersions.get(s.id), s.id).toEqual(TARGET);

        // Nothing left to do: a third run changes nothing.
        stack.ops.length = 0;
        expect((await run(stack, NEXT)).status).toBe("nothing-to-do");
        expect(stack.ops).toEqual([]);
    }, 180_000);

    it("fails the gate on a host that kept the old K3s, naming the host", async () => {
        const stack = new MockProgramStack(rawStack());
        stack.stuckHosts.add("w0-hub/wrk-a");
        const r = await run(stack, NEXT);
        expect(r.status).toBe("gate-failed");
        if (r.status !== "gate-failed") return;
        expect(r.wave).toBe(0);
        expect(r.gate.failures).toEqual([{ site: "w0-hub", host: "wrk-a", check: "versions", value: `K3s ${DEFAULT_VERSIONS.k3s}`, threshold: `K3s ${NEXT.k3s}` }]);
        expect(stack.ops).toEqual(["set throughWave=0", "preview", "up", "refresh"]);
        for (const id of ["w1-a", "w1-b", "w2-a"]) expect(stack.deployed.get(id), id).toBe(baseline.get(id));
    }, 120_000);

    it("stops before up on a mandatory policy violation and puts the config back", async () => {
        // The stack's budget lets the tracking container have 512Mi, the policy pack's Wasm class ceiling (its
        // default, 256Mi) does not: the real pack refuses the Deployments.
        const raw = rawStack({
            budget: { classes: { wasm: { cpu: "1", memory: "512Mi" } }, components: { tracking: { requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "200m", memory: "512Mi" } } } },
        });
        const before = structuredClone(raw);
        const stack = new MockProgramStack(raw);
        const r = await run(stack, NEXT);
        expect(r.status).toBe("policy-violation");
        if (r.status !== "policy-violation") return;
        expect(r.wave).toBe(0);
        expect(r.violations.length).toBeGreaterThan(0);
        expect(r.violations.map((v) => v.policy)).toContain("container-limits-within-class-budget");
        expect(stack.ops).toEqual(["set throughWave=0", "preview", "remove rollout"]);
        expect(stack.raw).toEqual({ ...before, versions: DEFAULT_VERSIONS });
        expect(stack.deployed.size).toBe(0);
    }, 120_000);
});
