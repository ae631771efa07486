// Documented commands match the project: every `npm run X` is a script, every scripts/... path exists, every
// stack named with -s/--stack has its Pulumi.<stack>.yaml, and the offline ones (budget, generate-stack, usage of
// synth) run as written.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "..");
const DOCS = ["README.md", ...fs.readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));

/** Shell lines of ```sh / ```bash blocks and `inline` code that starts like a command. */
function commands(file: string): string[] {
    const text = fs.readFileSync(path.join(root, file), "utf8");
    const out: string[] = [];
    for (const m of text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) out.push(...m[1].split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l && !l.startsWith("#")));
    // Inline code counts as a command when it starts like one (a bare .ts path in a table is a file, not a command).
    for (const m of text.matchAll(/`((?:npm run|npx tsx|scripts\/[\w/-]+\.sh|pulumi (?:up|preview|refresh))[^`]*)`/g)) out.push(m[1]);
    for (const m of text.matchAll(/^ {4}((?:npm run|npx tsx|scripts\/)[^\n]*)$/gm)) out.push(m[1].replace(/\s+#.*$/, "").trim());
    return out;
}

const all = DOCS.flatMap((f) => commands(f).map((c) => ({ file: f, cmd: c })));

describe("documented commands", () => {
    it("found enough commands to mean something", () => expect(all.length).toBeGreaterThan(30));

    it("npm run X names a script of package.json", () => {
        const bad = all.filter(({ cmd }) => /(^|\s)npm run (-s )?([\w:-]+)/.test(cmd)).filter(({ cmd }) => !(cmd.match(/npm run (?:-s )?([\w:-]+)/)![1] in pkg.scripts));
        expect(bad).toEqual([]);
    });

    it("scripts/... and Pulumi.<stack>.yaml files named in commands exist", () => {
        const missing: string[] = [];
        for (const { file, cmd } of all) {
            for (const m of cmd.matchAll(/(?:^|\s)((?:scripts|test)\/[\w./-]+\.(?:sh|ts))/g)) if (!fs.existsSync(path.join(root, m[1]))) missing.push(`${file}: ${m[1]}`);
            for (const m of cmd.matchAll(/(?:^|\s)(Pulumi\.[\w-]+\.yaml)/g)) if (!fs.existsSync(path.join(root, m[1]))) missing.push(`${file}: ${m[1]}`);
        }
        expect(missing).toEqual([]);
    });

    it("every stack a command names (-s X, --stack X, the on-call scripts' first argument) has its stack file", () => {
        const wrong: string[] = [];
        for (const { file, cmd } of all) {
            const names = [...cmd.replace(/npm run -s /g, "npm run ").matchAll(/(?:\s-s|--stack)\s+([\w.-]+)/g)].map((m) => m[1]);
            const oncall = /scripts\/oncall-(?:refresh|reprovision-host)\.sh\s+([\w.-]+)/.exec(cmd);
            if (oncall) names.push(oncall[1]);
            for (const n of names) if (!/^[<$]/.test(n) && n !== "NAME" && !fs.existsSync(path.join(root, `Pulumi.${n}.yaml`))) wrong.push(`${file}: ${cmd}`);
        }
        expect(wrong).toEqual([]);
    });

    it("the offline commands run as written", () => {
        // budget and the generator read files only; `npm run synth -- --stack prod` writes out/prod (its own folder).
        const offline = all.filter(({ cmd }) => /^(npm run (-s )?budget -- |npx tsx scripts\/generate-stack\.ts --sites \d|npm run synth -- --stack \w+$)/.test(cmd) && !/[<>|[]/.test(cmd));
        expect(offline.length).toBeGreaterThan(0);
        for (const { file, cmd } of new Map(offline.map((o) => [o.cmd, o])).values()) {
            const r = spawnSync("bash", ["-c", cmd], { cwd: root, encoding: "utf8", timeout: 120_000 });
            expect(r.status, `${file}: ${cmd}\n${r.stderr}`).toBe(0);
        }
    }, 300_000);
});
