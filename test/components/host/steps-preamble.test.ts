// What a config value can make a host do before any step logic runs: the rendered scripts' preambles (shebang,
// header comments, exports) of every step of every host are executed in a sandbox (env -i, an empty working
// directory; never the install steps themselves). Every exported variable must come out byte-for-byte as the
// program meant it, and nothing may be created or run - also for hostile strings that bypass validation.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackFile } from "../../../components/config/load";
import { validateEstateConfig } from "../../../components/config/validate";
import { planSite } from "../../../components/plan";
import { planHostSteps, renderStep } from "../../../components/host/steps";
import { generatedHostKey } from "../../../scripts/generate-stack";

const root = path.join(__dirname, "..", "..", "..");

/** The lines before the step body: shebang, comments and export lines (multi-line quoted values included). */
function preamble(script: string): string {
    const lines = script.split("\n");
    const out: string[] = [];
    let inQuote = false;
    for (const line of lines) {
        if (!inQuote && !(line.startsWith("#") || line.startsWith("export "))) break;
        // The step file's own comments after the exports are part of the body.
        if (!inQuote && line.startsWith("#") && out.some((l) => l.startsWith("export "))) break;
        out.push(line);
        if (!inQuote && line.startsWith("#")) continue;
        // An odd number of unescaped single quotes toggles whether we are inside a quoted value.
        const quotes = (line.replace(/'\\''/g, "").match(/'/g) ?? []).length;
        if (quotes % 2 === 1) inQuote = !inQuote;
    }
    return out.join("\n");
}

function runPreamble(text: string): { env: Record<string, string>; created: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "edge-preamble-"));
    const out = execFileSync("env", ["-i", "PATH=/usr/bin:/bin", "bash", "--norc", "--noprofile", "-c", `${text}\nenv -0`], { cwd: dir, encoding: "utf8" });
    const env: Record<string, string> = {};
    for (const entry of out.split("\0").filter(Boolean)) {
        const i = entry.indexOf("=");
        env[entry.slice(0, i)] = entry.slice(i + 1);
    }
    const created = fs.readdirSync(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    return { env, created };
}

const ODD = validateEstateConfig(
    {
        region: "test-region",
        monitoring: { hubSite: "site-a" },
        sites: [
            {
                id: "site-a",
                city: `O'Brien "$(touch city)" \`touch city2\``,
                wave: 0,
                hosts: [
                    { id: "srv-a", address: "2001:db8::10", role: "server", hostKey: generatedHostKey(1, "site-a", "srv-a"), labels: { "example.com/dock": "a".repeat(63) }, taints: ["example.com/dedicated=edge:NoSchedule"] },
                    { id: "wrk-a", address: "edge-a.example.com", role: "agent", port: 2222, user: "edgeops", hostKey: generatedHostKey(1, "site-a", "wrk-a") },
                ],
            },
        ],
        registries: { mirrors: { "docker.io": { endpoints: ["https://mirror.example:5000/v2"] } } },
    },
    { sshPrivateKeyPresent: true, requirePins: false },
);

describe("rendered step preambles run inertly", () => {
    const stacks = { odd: ODD, prod: loadStackFile(path.join(root, "Pulumi.prod.yaml")).config };
    for (const [name, config] of Object.entries(stacks)) {
        it(`${name}: every exported value arrives exactly, nothing is created`, () => {
            let checked = 0;
            for (const site of config.sites)
                for (const host of site.hosts)
                    for (const step of planHostSteps(planSite(config, site), host)) {
                        const { env, created } = runPreamble(preamble(renderStep(site, host, step)));
                        expect(created).toEqual([]);
                        for (const [k, v] of Object.entries(step.env)) expect(env[k], `${site.id}/${host.id} ${step.name} ${k}`).toBe(v);
                        checked++;
                    }
            expect(checked).toBeGreaterThan(5);
        });
    }

    it("a hostile value that bypassed validation is still exported as data, not run", () => {
        const site = ODD.sites[0];
        const host = site.hosts[0];
        const step = planHostSteps(planSite(ODD, site), host)[0];
        const hostile = `x'; touch pwned; echo '\n$(touch pwned2)\`touch pwned3\`\\\u0000`.replace("\u0000", "");
        step.env.EDGE_SITE_ID = hostile;
        const { env, created } = runPreamble(preamble(renderStep(site, host, step)));
        expect(created).toEqual([]);
        expect(env.EDGE_SITE_ID).toBe(hostile);
    });
});
