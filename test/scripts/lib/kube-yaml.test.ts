// policy:check reads YAML exactly as kubectl does. The comparison runs the real kubectl (`annotate --local`
// decodes a file with kubectl's own reader and prints the object, no cluster needed) on every fixture.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadKubeYaml } from "../../../scripts/lib/kube-yaml";

const DIR = path.join(__dirname, "..", "policy-check-fixtures", "merge-keys");
const FILES = fs.readdirSync(DIR).sort();
const haveKubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;
if (!haveKubectl && process.env.CI) throw new Error("the kubectl comparison needs kubectl: apt-get install kubernetes-client");

function kubectlReads(file: string): Record<string, any> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "kubectl-home-"));
    try {
        const r = spawnSync("kubectl", ["annotate", "--local", "-f", file, "checked=yes", "-o", "json"], { encoding: "utf8", env: { PATH: process.env.PATH ?? "", HOME: home }, timeout: 30_000 });
        if (r.status !== 0) throw new Error(`kubectl failed on ${file}: ${r.stderr}`);
        return JSON.parse(r.stdout);
    } finally {
        fs.rmSync(home, { recursive: true, force: true });
    }
}

describe("YAML as kubectl reads it", () => {
    it("has merge-key, merged-list, duplicate-key and JSON cases", () => expect(FILES.length).toBeGreaterThanOrEqual(5));

    it.skipIf(!haveKubectl).each(FILES)("%s: the same spec as kubectl", (f) => {
        const file = path.join(DIR, f);
        const [ours] = loadKubeYaml(fs.readFileSync(file, "utf8"), file) as Record<string, any>[];
        const theirs = kubectlReads(file);
        expect(ours.spec).toEqual(theirs.spec);
        expect({ kind: ours.kind, name: ours.metadata.name }).toEqual({ kind: theirs.kind, name: theirs.metadata.name });
    });

    it("the merge key after explicit limits reads 8 CPU / 8Gi (js-yaml's own merge would read 500m/256Mi)", () => {
        const [pod] = loadKubeYaml(fs.readFileSync(path.join(DIR, "merge-after-explicit.yaml"), "utf8")) as Record<string, any>[];
        expect(pod.spec.containers[0].resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: "8", memory: "8Gi" } });
    });

    it("resolves each aliased node once (an alias bomb stays small) and refuses a merge of a scalar", () => {
        const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
        for (let i = 1; i < 12; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(", ")}]`);
        const started = Date.now();
        loadKubeYaml(levels.join("\n"));
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(() => loadKubeYaml("x:\n  <<: 3\n")).toThrow(/merge key/);
    });
});
