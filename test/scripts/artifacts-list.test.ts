// `npx tsx scripts/artifacts-list.ts` as scripts/fetch-artifacts.sh runs it: one line per artifact a stack's
// hosts install. Expected lines are written out from Pulumi.cn-south.yaml (arm64, airgap, nothing pinned yet)
// and the upstream release layouts (K3s release assets, runwasi's containerd-shim-wasmedge/<version> tags).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..", "..");
const run = (...args: string[]) => spawnSync("npx", ["--no-install", "tsx", "scripts/artifacts-list.ts", ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });

describe("artifacts-list", () => {
    it("prints the cache layout and every artifact with its pin and URL", () => {
        const r = run("--stack", "cn-south");
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.trimEnd().split("\n")).toEqual([
            "# cacheDir .cache/artifacts arch arm64",
            "k3s-v1.30.4-k3s1 UNPINNED https://github.com/k3s-io/k3s/releases/download/v1.30.4%2Bk3s1/k3s-arm64",
            "k3s-install-v1.30.4-k3s1.sh UNPINNED https://raw.githubusercontent.com/k3s-io/k3s/v1.30.4%2Bk3s1/install.sh",
            "containerd-shim-wasmedge-v0.6.0.tar.gz UNPINNED https://github.com/containerd/runwasi/releases/download/containerd-shim-wasmedge%2Fv0.6.0/containerd-shim-wasmedge-aarch64-linux-musl.tar.gz",
            "k3s-airgap-images-arm64-v1.30.4-k3s1.tar.zst UNPINNED https://github.com/k3s-io/k3s/releases/download/v1.30.4%2Bk3s1/k3s-airgap-images-arm64.tar.zst",
        ]);
    });

    it("usage errors exit 2 with the usage line", () => {
        const r = run();
        expect(r.status).toBe(2);
        expect(r.stderr).toContain("artifacts-list: give exactly one of --stack or --config-file");
        expect(r.stderr).toContain("usage: artifacts-list.ts (--stack NAME | --config-file PATH)");
    });
});
