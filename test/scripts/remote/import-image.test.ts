// scripts/remote/import-image.sh against a real containerd (Debian's containerd + ctr, own root/state/socket):
// the image lands under exactly the reference the Deployment pins (repository@manifest digest computed by
// components/addons/tracking/image.ts), pinned against GC; a second run changes nothing; a corrupted copy is refused.
// `k3s ctr` is provided by a two-line wrapper that forwards to the real ctr on the test socket.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectOciArchive, LOCAL_IMAGE_REPOSITORY, localImageRef } from "../../../components/addons/tracking/image";
import { trackingHostSteps } from "../../../components/addons/tracking/index";
import { renderExtraStep } from "../../../components/host/steps";
import { planSite } from "../../../components/plan";
import { loadStackFile } from "../../../components/config/load";
import { writeOciFixture } from "../../components/addons/tracking/oci-fixture";

const root = path.join(__dirname, "..", "..", "..");
const script = path.join(root, "scripts", "remote", "import-image.sh");
let dir: string;
let containerd: ChildProcess | undefined;
let sock: string;
const haveContainerd = spawnSync("containerd", ["--version"]).status === 0 && spawnSync("ctr", ["--version"]).status === 0;

function ctr(...args: string[]) {
    const r = spawnSync("ctr", ["-a", sock, "-n", "k8s.io", ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`ctr ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
}

function runImport(env: Record<string, string>) {
    return spawnSync("bash", [script], {
        encoding: "utf8",
        env: { PATH: process.env.PATH!, K3S_BIN: path.join(dir, "k3s"), EDGE_STATE_DIR: path.join(dir, "state"), IMAGE_REPOSITORY: LOCAL_IMAGE_REPOSITORY, ...env },
    });
}

beforeAll(async () => {
    if (!haveContainerd) throw new Error("Debian packages containerd (containerd + ctr) must be installed for this test");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-ctr-"));
    sock = path.join(dir, "containerd.sock");
    fs.writeFileSync(
        path.join(dir, "config.toml"),
        [`version = 2`, `root = "${dir}/root"`, `state = "${dir}/run"`, `disabled_plugins = ["io.containerd.grpc.v1.cri"]`, `[grpc]`, `  address = "${sock}"`].join("\n"),
    );
    fs.writeFileSync(path.join(dir, "k3s"), `#!/usr/bin/env bash\n[[ "$1" == ctr ]] || exit 2\nshift\nexec ctr -a ${sock} "$@"\n`, { mode: 0o755 });
    containerd = spawn("containerd", ["--config", path.join(dir, "config.toml")], { stdio: "ignore" });
    for (let i = 0; i < 100 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    expect(fs.existsSync(sock)).toBe(true);
});

afterAll(() => {
    containerd?.kill("SIGTERM");
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("import-image.sh", () => {
    it("is shellcheck-clean, as a file and as the rendered step a host runs", () => {
        const sc = spawnSync("shellcheck", ["-x", "import-image.sh"], { cwd: path.dirname(script), encoding: "utf8" });
        expect(sc.stdout + sc.stderr).toBe("");
        expect(sc.status).toBe(0);
        const { config } = loadStackFile(path.join(root, "Pulumi.prod.yaml"));
        const site = config.sites.find((s) => s.id === "nj-xuanwu")!;
        const info = { path: "x", archiveSha256: "a".repeat(64), manifestDigest: `sha256:${"b".repeat(64)}`, platform: "wasi/wasm", sizeBytes: 1 };
        const plan = planSite(config, site);
        const [step] = trackingHostSteps(plan, site.hosts[0], info);
        const rendered = spawnSync("shellcheck", ["-s", "bash", "-"], { input: renderExtraStep(plan, site.hosts[0], 7, 0, step).script, encoding: "utf8" });
        expect(rendered.stdout).toBe("");
        // nj-xuanwu connects as a sudo user: the copy lands in /tmp and the step (run with sudo) moves it.
        expect(step.env.IMAGE_ARCHIVE).toMatch(/^\/tmp\/logistics-system-b{16}\.oci\.tar$/);
    });

    it("imports the archive as repository@manifest-digest, pinned, and a second run changes nothing", async () => {
        const fixture = await writeOciFixture(path.join(dir, "built.oci.tar"), "v1");
        const info = inspectOciArchive(fixture.path);
        expect(info.manifestDigest).toBe(fixture.manifestDigest);
        const landed = path.join(dir, "landed.oci.tar");
        fs.copyFileSync(fixture.path, landed);
        const env = { IMAGE_ARCHIVE: landed, IMAGE_ARCHIVE_SHA256: info.archiveSha256, IMAGE_DIGEST: info.manifestDigest };

        const first = runImport(env);
        expect(first.stderr).toBe("");
        expect(first.status).toBe(0);
        expect(first.stdout).toContain(`imported ${localImageRef(info.manifestDigest)}`);
        const ref = localImageRef(info.manifestDigest);
        expect(ctr("images", "ls", "-q").split("\n")).toContain(ref);
        expect(ctr("images", "check", `name==${ref}`)).toMatch(/complete \(2\/2\)/);
        expect(ctr("images", "ls", `name==${ref}`)).toContain("io.cri-containerd.pinned=pinned");
        expect(ctr("images", "ls", `name==${ref}`)).toContain("wasi/wasm");
        // The verified archive is kept root-only in the state dir; the landing copy is gone.
        const kept = path.join(dir, "state", "images", "landed.oci.tar");
        expect(fs.statSync(kept).mode & 0o777).toBe(0o600);
        expect(fs.existsSync(landed)).toBe(false);

        const second = runImport(env);
        expect(second.status).toBe(0);
        expect(second.stdout).toContain("already imported and complete; nothing changed");
    });

    it("unpins the previous version when a new one is imported", async () => {
        const v1 = inspectOciArchive(path.join(dir, "built.oci.tar"));
        const fixture = await writeOciFixture(path.join(dir, "v2.oci.tar"), "v2");
        const v2 = inspectOciArchive(fixture.path);
        const r = runImport({ IMAGE_ARCHIVE: fixture.path, IMAGE_ARCHIVE_SHA256: v2.archiveSha256, IMAGE_DIGEST: v2.manifestDigest });
        expect(r.status).toBe(0);
        expect(r.stdout).toContain(`unpinned previous version ${localImageRef(v1.manifestDigest)}`);
        expect(ctr("images", "ls", `name==${localImageRef(v1.manifestDigest)}`)).not.toContain("pinned=pinned");
        expect(ctr("images", "ls", `name==${localImageRef(v2.manifestDigest)}`)).toContain("pinned=pinned");
        expect(fs.readdirSync(path.join(dir, "state", "images"))).toEqual(["v2.oci.tar"]);
    });

    it("refuses a copy whose sha256 does not match, and a missing copy, with the reason", async () => {
        const fixture = await writeOciFixture(path.join(dir, "v3.oci.tar"), "v3");
        const info = inspectOciArchive(fixture.path);
        fs.appendFileSync(fixture.path, Buffer.alloc(512));
        const bad = runImport({ IMAGE_ARCHIVE: fixture.path, IMAGE_ARCHIVE_SHA256: info.archiveSha256, IMAGE_DIGEST: info.manifestDigest });
        expect(bad.status).not.toBe(0);
        expect(bad.stderr).toMatch(/has sha256 [0-9a-f]{64}, expected [0-9a-f]{64} \(corrupted copy\?\)/);
        expect(ctr("images", "ls", "-q")).not.toContain(info.manifestDigest);

        const missing = runImport({ IMAGE_ARCHIVE: path.join(dir, "nope.oci.tar"), IMAGE_ARCHIVE_SHA256: info.archiveSha256, IMAGE_DIGEST: info.manifestDigest });
        expect(missing.status).not.toBe(0);
        expect(missing.stderr).toContain("was not copied to this host");
    });

    it("refuses a symlink where the copy should be (a shared /tmp landing path) and touches nothing", async () => {
        const fixture = await writeOciFixture(path.join(dir, "v5.oci.tar"), "v5");
        const info = inspectOciArchive(fixture.path);
        const link = path.join(dir, "landing-link.oci.tar");
        fs.symlinkSync(fixture.path, link);
        const r = runImport({ IMAGE_ARCHIVE: link, IMAGE_ARCHIVE_SHA256: info.archiveSha256, IMAGE_DIGEST: info.manifestDigest });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("is a symlink; refusing");
        expect(ctr("images", "ls", "-q")).not.toContain(info.manifestDigest);
        expect(fs.readdirSync(path.join(dir, "state", "images")).filter((f) => f.startsWith(".incoming"))).toEqual([]);
    });

    it("fails when the archive does not contain the digest the Deployment pins", async () => {
        const fixture = await writeOciFixture(path.join(dir, "v4.oci.tar"), "v4");
        const info = inspectOciArchive(fixture.path);
        const r = runImport({ IMAGE_ARCHIVE: fixture.path, IMAGE_ARCHIVE_SHA256: info.archiveSha256, IMAGE_DIGEST: `sha256:${"c".repeat(64)}` });
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain("did not produce a complete image");
    });
});
