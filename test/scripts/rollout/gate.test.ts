// The rollout health gate against a real Prometheus (Debian's binary) that scrapes a test exporter with site
// labels and evaluates the project's own alert rules (prom-lab.ts). Every scenario has its own sites, so one
// soak window serves them all: a healthy wave passes; a site down, a firing alert, a p99 over the SLO, a node
// down and a wrong K3s version each fail with a message naming the site, the check, the value and the threshold.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateGate, formatFailure, type GateSite, type ProbeFacts } from "../../../scripts/rollout/gate";
import { PrometheusClient } from "../../../scripts/rollout/prometheus";
import { PromLab, prometheusAvailable } from "./prom-lab";

const NEW_K3S = "v1.30.6+k3s1";
const lab = new PromLab("cn-east", [
    { id: "ok-a", nodes: ["srv-a", "wrk-a"] },
    { id: "ok-b", nodes: ["srv-a"] },
    { id: "down-c", nodes: ["srv-a"] },
    { id: "alert-d", nodes: ["srv-a"] },
    { id: "slow-e", nodes: ["srv-a"] },
    { id: "node-f", nodes: ["srv-a", "wrk-a"] },
]);
const SOAK = 4;
let prometheus: PrometheusClient;

const sitesOf = (...ids: string[]): GateSite[] => ids.map((id) => ({ id, hostIds: lab.sites.find((s) => s.id === id)!.nodes }));
const probesOf = (sites: GateSite[], k3s = NEW_K3S, overrides: Record<string, Partial<ProbeFacts>> = {}): ProbeFacts[] =>
    sites.flatMap((s) => s.hostIds.map((h) => ({ siteId: s.id, hostId: h, status: "ok", k3sVersion: k3s, shimPresent: true, ...overrides[`${s.id}/${h}`] })));
const gate = (sites: GateSite[], probes = probesOf(sites)) =>
    evaluateGate({ wave: 0, sites, thresholds: { soakSeconds: SOAK, trackingP99Ms: 30 }, expectedK3s: NEW_K3S, probes, prometheus });

beforeAll(async () => {
    lab.behaviour.set("down-c", "agent-down");
    lab.behaviour.set("alert-d", "memory-full");
    lab.behaviour.set("slow-e", "slow");
    lab.behaviour.set("node-f", "kubelet-down");
    await lab.start();
    prometheus = new PrometheusClient({ url: lab.promUrl, timeoutSeconds: 10 });
    // Start-up (EdgeSiteDown fires at the first evaluation, before the first scrape) must fall outside the window.
    await lab.warmUp(SOAK + 2);
}, 60_000);

afterAll(() => lab.stop());

describe.runIf(prometheusAvailable)("health gate on a real Prometheus", () => {
    it("passes a healthy wave and reports what it measured", async () => {
        const r = await gate(sitesOf("ok-a", "ok-b"));
        expect(r.failures.map(formatFailure)).toEqual([]);
        expect(r.passed).toBe(true);
        expect(r.measured["ok-a"]).toMatchObject({ heartbeat: "min 1", "alerts firing": "0", nodes: "2/2" });
        // 99.5 % of the exporter's requests take 4 ms: p99 falls in the 1-5 ms bucket.
        const p99 = Number(/^([\d.]+) ms$/.exec(r.measured["ok-a"]["tracking p99"])![1]);
        expect(p99).toBeGreaterThan(1);
        expect(p99).toBeLessThanOrEqual(5);
    });

    it("fails a wave with a site down, naming only that site", async () => {
        const r = await gate(sitesOf("ok-a", "down-c"));
        expect(r.passed).toBe(false);
        const msgs = r.failures.map(formatFailure);
        expect(msgs).toContain("site down-c: reporting check failed: measured agent heartbeat up == 0 during the window, threshold up == 1 throughout the window");
        expect(r.failures.every((f) => f.site === "down-c")).toBe(true);
        // The project's EdgeSiteDown rule does not fire for a scraped-but-down target (up == 0 is not absent); the
        // gate's own heartbeat check catches it.
    });

    it("fails on a firing alert of the project's rules, naming the alert", async () => {
        const r = await gate(sitesOf("alert-d"));
        expect(r.failures.map(formatFailure)).toEqual(["site alert-d: alerts check failed: measured SiteHostMemoryNearCapacity firing, threshold no firing alert in the window"]);
    });

    it("fails when tracking p99 is over the SLO, with the measured p99 and the threshold", async () => {
        const r = await gate(sitesOf("slow-e"));
        const p99 = r.failures.find((f) => f.check === "tracking-p99")!;
        expect(p99).toBeDefined();
        // 5 % of requests take 80 ms: p99 lies in the 50-100 ms bucket.
        const ms = Number(/^p99 ([\d.]+) ms$/.exec(p99.value)![1]);
        expect(ms).toBeGreaterThan(50);
        expect(ms).toBeLessThanOrEqual(100);
        expect(formatFailure(p99)).toBe(`site slow-e: tracking-p99 check failed: measured p99 ${ms.toFixed(1)} ms, threshold <= 30 ms over ${SOAK}s`);
        // The project's TrackingLatencyP99High alert fires as well (its `for` is shortened in the test copy).
        expect(r.failures.map(formatFailure)).toContain("site slow-e: alerts check failed: measured TrackingLatencyP99High firing, threshold no firing alert in the window");
    });

    it("fails when a node's kubelet stops answering", async () => {
        const r = await gate(sitesOf("node-f"));
        expect(r.failures.map(formatFailure)).toEqual(["site node-f: nodes-ready check failed: measured 1 of 2 kubelets answering throughout the window, threshold 2 of 2"]);
    });

    it("fails a host running the wrong K3s version, from the probe facts", async () => {
        const sites = sitesOf("ok-a");
        const r = await gate(sites, probesOf(sites, NEW_K3S, { "ok-a/wrk-a": { k3sVersion: "v1.30.4+k3s1" } }));
        expect(r.failures.map(formatFailure)).toEqual([`site ok-a host wrk-a: versions check failed: measured K3s v1.30.4+k3s1, threshold K3s ${NEW_K3S}`]);
    });

    it("fails a host whose probe could not reach it, and a host without a probe", async () => {
        const sites = sitesOf("ok-a");
        const probes = probesOf(sites, NEW_K3S, { "ok-a/srv-a": { status: "unreachable", lastError: "connect ECONNREFUSED" } }).filter((p) => p.hostId !== "wrk-a");
        const r = await gate(sites, probes);
        expect(r.failures.map(formatFailure)).toEqual([
            `site ok-a host srv-a: versions check failed: measured probe unreachable (connect ECONNREFUSED), threshold a probed host running K3s ${NEW_K3S}`,
            `site ok-a host wrk-a: versions check failed: measured no host probe in the stack state, threshold K3s ${NEW_K3S}`,
        ]);
    });

    it("fails every site of the wave when the hub cannot be queried", async () => {
        const dead = new PrometheusClient({ url: "http://127.0.0.1:9", timeoutSeconds: 2 });
        const r = await evaluateGate({ wave: 1, sites: sitesOf("ok-b"), thresholds: { soakSeconds: SOAK, trackingP99Ms: 30 }, expectedK3s: NEW_K3S, probes: probesOf(sitesOf("ok-b")), prometheus: dead });
        expect(r.failures.map((f) => [f.site, f.check])).toEqual([["ok-b", "prometheus"]]);
        expect(r.failures[0].value).toContain("cannot reach Prometheus at http://127.0.0.1:9");
    });
});
