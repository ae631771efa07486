// components/host/host.ts under mocks: one host owns every command on its box, in order, and every resource that
// used to sit under the site carries that old parent as an alias.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { type RecordedResource, runProgramUnderMocks } from "../../../scripts/synth/run";

const root = path.join(__dirname, "..", "..", "..");
const { config } = loadStackFile(path.join(root, "Pulumi.cn-south.yaml"));
let all: RecordedResource[];
const byName = (name: string) => all.find((r) => r.name === name)!;

beforeAll(async () => {
    all = await runProgramUnderMocks(config, "cn-south", "-----BEGIN OPENSSH PRIVATE KEY-----\nK\n-----END OPENSSH PRIVATE KEY-----\n");
}, 60_000);

describe("EdgeHost (air-gapped cn-south, agent sz-nanshan.wrk-a)", () => {
    it("owns its probe, artifact pushes, steps and the image push and import, in that order of dependency", () => {
        const host = all.find((r) => r.type === "edge-estate:index:Host" && r.name === "sz-nanshan.wrk-a")!;
        const children = all.filter((r) => r.parent === host.urn).map((r) => `${r.type.split(":").pop()} ${r.name.slice("sz-nanshan.wrk-a.".length)}`);
        expect(children.filter((c) => c.startsWith("HostProbe"))).toEqual(["HostProbe probe"]);
        expect(children.filter((c) => c.startsWith("Command "))).toEqual([
            "Command 00-preflight",
            "Command 01-fetch-artifacts",
            "Command 02-wasmedge-shim",
            "Command 03-k3s-config",
            "Command 04-k3s-install",
            "Command 05-verify-wasm",
            "Command 06-import-image",
            "Command 07-tracking-data-dir",
        ]);
        const pushes = children.filter((c) => c.startsWith("CopyToRemote")).map((c) => c.slice("CopyToRemote ".length));
        expect(pushes).toContain("push-tracking-image");
        expect(pushes.filter((p) => p !== "push-tracking-image").length).toBe(4); // K3s, install.sh, shim, airgap images
        const imp = byName("sz-nanshan.wrk-a.06-import-image");
        expect(imp.dependencies).toContain(byName("sz-nanshan.wrk-a.push-tracking-image").urn);
        expect(byName("sz-nanshan.wrk-a.push-tracking-image").dependencies).toContain(byName("sz-nanshan.wrk-a.05-verify-wasm").urn);
    });

    it("aliases what moved from the site (probe, image push and import) to the site, and nothing else", () => {
        const site = all.find((r) => r.type === "edge-estate:index:Site" && r.name === "sz-nanshan")!;
        const aliased = all.filter((r) => r.name.startsWith("sz-nanshan.wrk-a.") && r.aliases.length > 0).map((r) => r.name);
        // Every extra step carries the alias (EdgeHost gives it to all of them); on the data-directory step, which
        // never lived under the site, it matches nothing and is inert.
        expect(aliased.sort()).toEqual(["sz-nanshan.wrk-a.06-import-image", "sz-nanshan.wrk-a.07-tracking-data-dir", "sz-nanshan.wrk-a.probe", "sz-nanshan.wrk-a.push-tracking-image"]);
        for (const name of aliased) expect(byName(name).aliases).toEqual([{ name: "", type: "", stack: "", project: "", parentUrn: site.urn, noParent: false }]);
    });
});
