// The whole-config checks, on the prod stack file with one value changed at a time; messages written out
// (hz-xihu and nj-xuanwu have one host each, srv-a; sh-pudong is the monitoring hub).
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { siteBudgetProblems, trackingPlacementProblems } from "../../../components/config/site-checks";

const { config } = loadStackFile("Pulumi.prod.yaml");

describe("trackingPlacementProblems", () => {
    it("the stack as it is has none", () => {
        expect(trackingPlacementProblems(config, true)).toEqual([]);
    });

    it("a site's own trackingReplicas above its schedulable hosts names that key", () => {
        const sites = config.sites.map((s) => (s.id === "hz-xihu" ? { ...s, trackingReplicas: 2 } : s));
        expect(trackingPlacementProblems({ ...config, sites }, false)).toEqual([
            { key: "sites[id=hz-xihu].trackingReplicas", message: '2 tracking replica(s) on site "hz-xihu" is more than its 1 schedulable host(s) (srv-a); each replica owns one node\'s data directory' },
        ]);
    });

    it("the region default names tracking.replicas once per site it does not fit, with the per-site way out", () => {
        const problems = trackingPlacementProblems({ ...config, tracking: { ...config.tracking, replicas: 2 } }, true);
        expect(problems.map((p) => p.key)).toEqual(["tracking.replicas", "tracking.replicas"]);
        expect(problems[1].message).toBe(
            '2 tracking replica(s) on site "nj-xuanwu" is more than its 1 schedulable host(s) (srv-a); each replica owns one node\'s data directory; set sites[id=nj-xuanwu].trackingReplicas to at most 1',
        );
    });
});

describe("siteBudgetProblems", () => {
    it("the stack as it is fits", () => {
        expect(siteBudgetProblems(config)).toEqual([]);
    });

    it("hosts too small for the budget: every site that does not fit, the hub under monitoring.hubSite", () => {
        const problems = siteBudgetProblems({ ...config, budget: { ...config.budget, host: { cpu: "1", memory: "2Gi" } } });
        const hub = problems.find((p) => p.message.startsWith('site "sh-pudong"'));
        expect(hub?.key).toBe("monitoring.hubSite");
        expect(hub?.message).toContain("(it is the monitoring hub: it also runs the regional Prometheus and Grafana)");
        expect(hub?.message).toContain("choose a hub site with more hosts, ");
        const small = problems.find((p) => p.message.startsWith('site "hz-xihu"'))!;
        expect(small.key).toBe("budget");
        expect(small.message).toMatch(/^site "hz-xihu" with 1 host\(s\) of \{"cpu":"1","memory":"2Gi"\} does not fit its budget: .*> capacity 2Gi.*; lower budget\.components \/ budget\.k3sReserve, raise budget\.host, or add hosts \(npm run budget -- --site hz-xihu shows the table\)$/);
    });
});
