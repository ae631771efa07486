// The whole program given a validated config (components/program.ts): the air-gap cache check before anything
// is registered, and the stack outputs, under the one mock harness. Expected values are written out from
// Pulumi.cn-south.yaml (arm64, airgap; fs-chancheng's first server is IPv6).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../components/config/load";
import { missingAirgapArtifacts } from "../../components/program";
import { registerProgram } from "./addons/program-under-mocks";

const { config } = loadStackFile("Pulumi.cn-south.yaml");
const withCache = (cacheDir: string) => ({ ...config, artifacts: { ...config.artifacts, cacheDir } });

describe("missingAirgapArtifacts", () => {
    it("names every artifact the hosts need that is not in cacheDir, and drops the ones that are", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "airgap-cache-"));
        try {
            expect(missingAirgapArtifacts(withCache(dir)).sort()).toEqual(
                ["containerd-shim-wasmedge-v0.6.0.tar.gz", "k3s-airgap-images-arm64-v1.30.4-k3s1.tar.zst", "k3s-install-v1.30.4-k3s1.sh", "k3s-v1.30.4-k3s1"].sort(),
            );
            fs.writeFileSync(path.join(dir, "k3s-v1.30.4-k3s1"), "binary");
            fs.writeFileSync(path.join(dir, "k3s-install-v1.30.4-k3s1.sh"), "#!/bin/sh\n");
            expect(missingAirgapArtifacts(withCache(dir)).sort()).toEqual(["containerd-shim-wasmedge-v0.6.0.tar.gz", "k3s-airgap-images-arm64-v1.30.4-k3s1.tar.zst"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is empty in download mode (nothing is pushed from a cache)", () => {
        expect(missingAirgapArtifacts({ ...withCache("/nonexistent"), artifacts: { ...config.artifacts, mode: "download", cacheDir: "/nonexistent" } })).toEqual([]);
    });
});

describe("defineEstate", () => {
    it("exports the region, each site's API server (IPv6 in brackets), the region CA and the unpinned artifacts", async () => {
        const rs = await registerProgram(config);
        const stack = rs.find((r) => r.type === "pulumi:pulumi:Stack")!;
        expect(Object.keys(stack.outputs!).sort()).toEqual(["region", "regionTlsCaCert", "sites", "unpinnedArtifacts"]);
        expect(stack.outputs!.region).toBe("cn-south");
        expect(stack.outputs!.sites).toEqual({
            "fs-chancheng": { apiServer: "https://[fd00:30:3::11]:6443" },
            "gz-tianhe": { apiServer: "https://10.30.1.11:6443" },
            "sz-nanshan": { apiServer: "https://10.30.2.11:6443" },
        });
        expect(stack.outputs!.regionTlsCaCert).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
        // cn-south pins nothing yet: K3s, its install script, airgap images and the shim, for arm64.
        expect(stack.outputs!.unpinnedArtifacts).toHaveLength(4);
        // Only the estate sits at the root.
        expect(rs.filter((r) => r.parent === stack.urn).map((r) => `${r.type}::${r.name}`)).toEqual(["edge-estate:index:Estate::cn-south"]);
    }, 60_000);
});
