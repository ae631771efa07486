/**
 * Runs the real promtool (Debian package `prometheus`) on generated files. Debian builds Prometheus without
 * kubernetes_sd_configs, so `forPromtool` rewrites a test copy: each kubernetes_sd block becomes a file_sd block
 * and in-pod paths (service-account token, mounted secrets) point at real files in the scratch dir. The config
 * deployed to the sites is never changed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";

export interface RunResult {
    code: number;
    output: string;
}

export function hasBinary(name: string): boolean {
    return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

export function requirePromtool(): void {
    if (!hasBinary("promtool")) throw new Error("promtool is not installed: apt-get install --no-install-recommends prometheus");
}

export function promtool(args: string[], cwd: string): RunResult {
    const r = spawnSync("promtool", args, { cwd, encoding: "utf8", timeout: 60_000 });
    return { code: r.status ?? -1, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

const scratch: string[] = [];
process.on("exit", () => {
    for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp dir removed when the test process exits. */
export function scratchDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `edge-${prefix}-`));
    scratch.push(d);
    return d;
}

/** Absolute in-pod paths used by the generated configs, mapped into the scratch dir. */
const POD_PATHS = ["/var/run/secrets/kubernetes.io/serviceaccount", "/etc/prometheus"];

/**
 * Test copy for Debian's promtool: kubernetes_sd_configs -> file_sd_configs (one targets file per job) and pod
 * paths -> scratch files. Returns the rewritten config and how many k8s SD blocks were swapped.
 */
export function forPromtool(config: Record<string, any>, dir: string): { config: Record<string, any>; swapped: number } {
    let swapped = 0;
    const copy = JSON.parse(JSON.stringify(config));
    for (const job of copy.scrape_configs ?? []) {
        if (job.kubernetes_sd_configs) {
            const file = path.join(dir, `targets-${job.job_name}.json`);
            fs.writeFileSync(file, JSON.stringify([{ targets: ["127.0.0.1:9"], labels: {} }]));
            delete job.kubernetes_sd_configs;
            job.file_sd_configs = [{ files: [file] }];
            swapped++;
        }
    }
    let text = JSON.stringify(copy);
    for (const p of POD_PATHS) text = text.split(p).join(path.join(dir, "pod", p));
    const rewritten = JSON.parse(text);
    // Create every file the config points at, so promtool's existence checks see real files.
    const files = new Set<string>();
    const walk = (v: unknown, key = "") => {
        if (typeof v === "string" && /_file$/.test(key)) files.add(v);
        else if (Array.isArray(v)) v.forEach((x) => walk(x, key));
        else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(rewritten);
    for (const f of files) {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        if (!fs.existsSync(f)) fs.writeFileSync(f, "test-credential\n");
    }
    return { config: rewritten, swapped };
}

export function writeYaml(file: string, doc: unknown): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, yaml.dump(doc, { lineWidth: -1, noRefs: true }));
    return file;
}
