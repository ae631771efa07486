// The rollout's wave plan from the prod stack file alone; waves, sites and hosts written out from
// Pulumi.prod.yaml, versions from Pulumi.yaml's defaults (K3s v1.30.4+k3s1, shim v0.6.0).
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import type { EstateConfig } from "../../../components/config/types";
import { diffVersions, formatPlan, planRollout, previousVersionsDelta, RolloutPlanError, siteWaves } from "../../../scripts/rollout/plan";

const { config } = loadStackFile("Pulumi.prod.yaml");
const K3S_CHANGE = [{ key: "k3s", from: "v1.30.4+k3s1", to: "v1.30.6+k3s1" }];

/** The stack as the driver leaves it after wave `through` of a K3s v1.30.6+k3s1 rollout. */
const inProgress = (through: number): EstateConfig => ({
    ...config,
    versions: { ...config.versions, k3s: "v1.30.6+k3s1" },
    rollout: { throughWave: through, previousVersions: { k3s: "v1.30.4+k3s1" } },
});

describe("planRollout", () => {
    it("a fresh rollout walks every wave in order, each site (by id) with its hosts and the change it gets", () => {
        expect(siteWaves(config)).toEqual([0, 1, 2]);
        const plan = planRollout(config, { k3s: "v1.30.6+k3s1" });
        expect(plan).toMatchObject({ region: "cn-east", inProgress: false, startWave: 0 });
        expect(plan.target.k3s).toBe("v1.30.6+k3s1");
        expect(plan.previous.k3s).toBe("v1.30.4+k3s1");
        expect(plan.waves).toEqual([
            {
                wave: 0,
                alreadyRolled: false,
                sites: [
                    { id: "hz-xihu", city: "杭州西湖", hostIds: ["srv-a"], changes: K3S_CHANGE },
                    { id: "sh-pudong", city: "上海浦东", hostIds: ["srv-a", "srv-b", "srv-c", "wrk-a"], changes: K3S_CHANGE },
                ],
            },
            {
                wave: 1,
                alreadyRolled: false,
                sites: [
                    { id: "nj-xuanwu", city: "南京玄武", hostIds: ["srv-a"], changes: K3S_CHANGE },
                    { id: "sz-gusu", city: "苏州姑苏", hostIds: ["srv-a", "wrk-a"], changes: K3S_CHANGE },
                ],
            },
            {
                wave: 2,
                alreadyRolled: false,
                sites: [
                    { id: "hf-shushan", city: "合肥蜀山", hostIds: ["srv-a", "wrk-a", "wrk-b"], changes: K3S_CHANGE },
                    { id: "nb-yinzhou", city: "宁波鄞州", hostIds: ["srv-a", "srv-b", "srv-c"], changes: K3S_CHANGE },
                ],
            },
        ]);
        expect(previousVersionsDelta(plan.previous, plan.target)).toEqual({ k3s: "v1.30.4+k3s1" });
    });

    it("resuming: waves up to throughWave are already rolled and carry no change; the driver starts at throughWave", () => {
        const plan = planRollout(inProgress(1), {});
        expect(plan).toMatchObject({ inProgress: true, startWave: 1 });
        expect(plan.waves.map((w) => [w.wave, w.alreadyRolled, w.sites.map((s) => s.changes)])).toEqual([
            [0, true, [[], []]],
            [1, true, [[], []]],
            [2, false, [K3S_CHANGE, K3S_CHANGE]],
        ]);
        // Asking again for the same versions is a resume too.
        expect(planRollout(inProgress(1), { k3s: "v1.30.6+k3s1" }).startWave).toBe(1);
    });

    it("refuses other versions while a rollout is in progress, naming both", () => {
        expect(() => planRollout(inProgress(0), { k3s: "v1.30.7+k3s1" })).toThrow(RolloutPlanError);
        expect(() => planRollout(inProgress(0), { k3s: "v1.30.7+k3s1" })).toThrow(
            "a rollout is in progress on this stack through wave 0 (versions k3s v1.30.4+k3s1 -> v1.30.6+k3s1); resume it without --versions (or with the same ones), or finish it first; refusing to start k3s v1.30.6+k3s1 -> v1.30.7+k3s1",
        );
    });

    it("diffVersions lists only what changes, in the versions' own order", () => {
        expect(diffVersions(config.versions, { ...config.versions, grafana: "11.3.0", k3s: "v1.30.6+k3s1" }).map((c) => c.key)).toEqual(["k3s", "grafana"]);
        expect(diffVersions(config.versions, config.versions)).toEqual([]);
    });

    it("formatPlan prints one line per wave and site", () => {
        const text = formatPlan("prod", planRollout(config, { k3s: "v1.30.6+k3s1" }), { soakSeconds: 900, trackingP99Ms: 30, prometheusUrl: "http://10.20.1.11:30990" });
        expect(text.split("\n")[0]).toBe("Rollout plan for stack prod (region cn-east): k3s v1.30.4+k3s1 -> v1.30.6+k3s1");
        expect(text).toMatch(/\nwave 0: 2 sites, 5 hosts\n {2}hz-xihu +srv-a +k3s v1\.30\.4\+k3s1 -> v1\.30\.6\+k3s1\n {2}sh-pudong +srv-a srv-b srv-c wrk-a +k3s v1\.30\.4\+k3s1 -> v1\.30\.6\+k3s1\n/);
        expect(text).toContain("health gate on http://10.20.1.11:30990 (every site reporting, no firing alerts, tracking p99 <= 30 ms, every node's kubelet up, K3s v1.30.6+k3s1 on every host).");
    });
});
