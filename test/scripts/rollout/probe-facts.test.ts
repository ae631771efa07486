// The rollout gate's view of the host probes, read from the stack export recorded from real probes of netns
// sshd hosts (test/scripts/oncall/fixtures/stack-export.json); expected facts written out from that file.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { probeFactsFromResources } from "../../../scripts/rollout/probe-facts";

const exported = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "oncall", "fixtures", "stack-export.json"), "utf8"));

describe("probeFactsFromResources", () => {
    it("one entry per probe with state, nothing from other resources", () => {
        expect(probeFactsFromResources(exported.deployment.resources)).toEqual([
            { siteId: "sh-pudong", hostId: "srv-a", status: "ok", k3sVersion: "", shimPresent: false },
            { siteId: "sh-pudong", hostId: "wrk-a", status: "ok", k3sVersion: "v1.30.3+k3s1", shimPresent: true },
            { siteId: "hz-xihu", hostId: "srv-a", status: "unreachable", k3sVersion: "", shimPresent: false, lastError: "connect ECONNREFUSED 10.250.100.13:22" },
        ]);
    });

    it("skips a probe without outputs (registered, never created)", () => {
        expect(probeFactsFromResources([{ type: "pulumi-nodejs:dynamic:HostProbe" }, { type: "command:remote:Command", outputs: { siteId: "x" } }])).toEqual([]);
    });
});
