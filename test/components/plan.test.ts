// components/plan.ts: the derived values, checked against what Pulumi.prod.yaml and Pulumi.cn-south.yaml say
// (expectations read off the stack files by hand, not computed by the plan).
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { componentBudget, planEstate, planSite, urlHost } from "../../components/plan";
import { runProgramUnderMocks } from "../../scripts/synth/run";

const root = path.join(__dirname, "..", "..");
const prod = loadStackFile(path.join(root, "Pulumi.prod.yaml")).config;
const south = loadStackFile(path.join(root, "Pulumi.cn-south.yaml")).config;
const site = (config: typeof prod, id: string) => planSite(config, config.sites.find((s) => s.id === id)!);

describe("site plan", () => {
    it("first server, roles and API URL; IPv6 in brackets", () => {
        const pudong = site(prod, "sh-pudong");
        expect(pudong.firstServer.id).toBe("srv-a");
        expect(pudong.servers.map((h) => h.id)).toEqual(["srv-a", "srv-b", "srv-c"]);
        expect(pudong.agents.map((h) => h.id)).toEqual(["wrk-a"]);
        expect(pudong.apiUrl).toBe("https://10.20.1.11:6443");
        expect(site(prod, "hf-shushan").apiUrl).toBe("https://edge-hf-shushan-1.cn-east.internal:6443");
        expect(site(south, "fs-chancheng").apiUrl).toBe("https://[fd00:30:3::11]:6443");
        expect(urlHost("fd00::1")).toBe("[fd00::1]");
        expect(urlHost("10.0.0.1")).toBe("10.0.0.1");
    });

    it("schedulable hosts leave out NoSchedule-tainted ones; replicas take the site override", () => {
        expect(site(prod, "hf-shushan").schedulableHosts.map((h) => h.id)).toEqual(["srv-a", "wrk-b"]);
        expect(site(prod, "sh-pudong").trackingReplicas).toBe(2);
        expect(site(prod, "hz-xihu").trackingReplicas).toBe(1);
    });

    it("knows the hub and reaches it by its first server's address", () => {
        const plan = planEstate(prod);
        expect(plan.hub.site.id).toBe("sh-pudong");
        expect(plan.sites.filter((p) => p.isHub).map((p) => p.site.id)).toEqual(["sh-pudong"]);
        for (const p of plan.sites) expect(p.hub).toEqual({ siteId: "sh-pudong", urlHost: "10.20.1.11" });
    });

    it("versions per wave follow the rollout: sites past throughWave keep the previous versions", () => {
        const rolling = { ...prod, rollout: { throughWave: 0, previousVersions: { k3s: "v1.29.8+k3s1" } } };
        expect(site(rolling, "hz-xihu").versions.k3s).toBe("v1.30.4+k3s1"); // wave 0
        expect(site(rolling, "sz-gusu").versions.k3s).toBe("v1.29.8+k3s1"); // wave 1
        expect(site(rolling, "sz-gusu").versions.wasmedgeShim).toBe("v0.6.0");
        expect(site(prod, "sz-gusu").versions.k3s).toBe("v1.30.4+k3s1");
    });

    it("a missing budget entry is a config error naming the key, and the entry is a copy", () => {
        const copy = componentBudget(prod, "tracking");
        copy.limits.cpu = "999";
        expect(prod.budget.components.tracking.limits.cpu).not.toBe("999");
        expect(() => componentBudget(prod, "nope")).toThrow(/edge-estate:budget\.components\.nope is missing/);
    });
});

describe("the Site's apiServer output", () => {
    it("is the bracketed URL for an IPv6 first server (it was https://fd00:30:3::11:6443)", async () => {
        const resources = await runProgramUnderMocks(south, "cn-south", "-----BEGIN OPENSSH PRIVATE KEY-----\nK\n-----END OPENSSH PRIVATE KEY-----\n");
        const outputsOf = (id: string) => resources.find((r) => r.type === "edge-estate:index:Site" && r.name === id)!.outputs;
        expect(outputsOf("fs-chancheng")).toEqual({ apiServer: "https://[fd00:30:3::11]:6443" });
        expect(outputsOf("sz-nanshan")).toEqual({ apiServer: "https://10.30.2.11:6443" });
    }, 60_000);
});
