// Registry mode (tracking.registryImage set) under mocks: no copy/import steps on the hosts, the Deployment pulls
// the configured image by digest, and the allowed-registries constraint admits exactly that repository.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadStackFile } from "../../../../components/config/load";
import type { EstateConfig } from "../../../../components/config/types";
import { type Registered, registerProgram } from "../program-under-mocks";

const root = path.join(__dirname, "..", "..", "..", "..");
const base = loadStackFile(path.join(root, "Pulumi.prod.yaml")).config;
const image = `registry.example.com/edge/logistics-system@sha256:${"e".repeat(64)}`;
const config: EstateConfig = {
    ...base,
    sites: base.sites.filter((s) => s.id === "hz-xihu" || s.id === "sz-gusu"),
    monitoring: { hubSite: "hz-xihu" },
    tracking: { ...base.tracking, registryImage: image },
};
let all: Registered[];

beforeAll(async () => {
    all = await registerProgram(config);
}, 120_000);

describe("tracking in registry mode", () => {
    it("copies and imports nothing", () => {
        expect(all.filter((r) => r.type === "command:remote:CopyToRemote")).toEqual([]);
        expect(all.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-import-image"))).toEqual([]);
    });

    it("pulls the configured image by digest", () => {
        for (const site of config.sites) {
            const d = all.find((r) => r.name === `${site.id}-deployment-edge-system-tracking`)!;
            const c = d.inputs.spec.template.spec.containers[0];
            expect(c.image).toBe(image);
            expect(c.imagePullPolicy).toBe("IfNotPresent");
        }
    });

    it("adds the registry repository to the allowed registries and the Wasm repositories", () => {
        const allowed = all.find((r) => r.name === "hz-xihu-edgeallowedregistries-edge-allowed-registries")!;
        expect(allowed.inputs.spec.parameters.allowed).toContain("registry.example.com/edge/logistics-system");
        const wasm = all.find((r) => r.name === "hz-xihu-edgewasmruntimeclass-edge-wasm-runtime-class")!;
        expect(wasm.inputs.spec.parameters.wasmRepositories).toContain("registry.example.com/edge/logistics-system");
    });
});
