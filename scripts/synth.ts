/**
 * npm run synth -- --stack NAME [--out DIR]
 * npm run synth -- --config-file PATH [--out DIR]
 *
 * Runs the program offline under Pulumi mocks and writes what `pulumi up` would do (see README "Offline synth").
 * Exit codes: 0 ok, 1 invalid stack config or a leaked secret, 2 usage error or an --out that is refused.
 * The output is written into a fresh folder and swapped into place; an existing --out is replaced only when it is
 * a previous synth output (scripts/lib/safe-output.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadStackFile } from "../components/config/load";
import { unpinnedHostKeyWarnings } from "../components/config/validate";
import { runProgramUnderMocks, SYNTH_SECRET_MARKER } from "./synth/run";
import { evaluateRecordedResources } from "../policy-pack/offline";
import { policyConfigOfStack } from "../policy-pack/policies/config";
import { writeSynthOutput } from "./synth/write";
import { parseArgs, runTool, stackSource } from "./lib/cli";
import { checkOutputDir, OutputPathError, writeOutputDir } from "./lib/safe-output";

const TOOL = "synth";

const USAGE = "usage: npm run synth -- (--stack NAME | --config-file PATH) [--out DIR]";

async function main(): Promise<number> {
    const parsed = parseArgs(process.argv.slice(2), { values: ["--stack", "--config-file", "--out"] });
    const source = stackSource(parsed);
    const args = { ...source, out: parsed.values.get("--out") ?? path.join("out", source.stack) };
    const loaded = loadStackFile(args.file, false);
    const { config, stack } = loaded;
    try {
        checkOutputDir(args.out, TOOL);
    } catch (e) {
        if (e instanceof OutputPathError) {
            console.error(`synth: ${e.message}`);
            return 2;
        }
        throw e;
    }
    const insecure = unpinnedHostKeyWarnings(config);
    for (const w of insecure) console.error(`synth: WARNING: ${w}`);
    if (insecure.length) console.error(`synth: WARNING: ${insecure.length} host(s) accept any SSH host key (ssh.acceptUnknownHostKeys: true); collect keys with npm run host-keys -- --stack ${args.stack}`);
    const started = Date.now();
    // An encrypted key is never decrypted here; a plaintext test key is used as given (and redacted in output).
    const resources = await runProgramUnderMocks(config, args.stack, stack.sshPrivateKeyPlaintext ?? "[secret]");
    try {
        const { code } = await writeOutputDir(args.out, TOOL, (dir) => {
            const summary = writeSynthOutput(dir, resources);
            // The policy pack's own policies over everything rendered -> policy-report.json. The stack's own budget, so the report uses the numbers Gatekeeper gets (they differ from the pack's
            // defaults only when Pulumi.<stack>.yaml overrides budget).
            const policyReport = evaluateRecordedResources(resources, { config: policyConfigOfStack(config) });
            fs.writeFileSync(path.join(dir, "policy-report.json"), JSON.stringify(policyReport, null, 2) + "\n");
            for (const v of policyReport.violations) console.error(`synth: policy ${v.enforcementLevel}: ${v.policy}: ${v.message}`);
            console.log(`synth: policy pack: ${policyReport.workloads} workloads, ${policyReport.mandatory} mandatory / ${policyReport.advisory} advisory violations -> policy-report.json`);

            // Belt and braces: no generated secret may appear anywhere in the output (then nothing is published).
            const leaks = findLeaks(dir, stack.sshPrivateKeyPlaintext);
            if (leaks.length) {
                console.error(`synth: secret value found unredacted in: ${leaks.map((l) => path.relative(dir, l)).join(", ")}; nothing written to ${args.out}`);
                return { publish: false, code: 1 };
            }
            console.log(
                `synth: ${args.stack}: ${summary.resources} resources, ${summary.sites.length} sites, ${summary.hostScripts} host scripts, ${summary.manifests} manifests -> ${args.out} (${Date.now() - started} ms)`,
            );
            return { publish: true, code: 0 };
        });
        return code;
    } catch (e) {
        if (e instanceof OutputPathError) {
            console.error(`synth: ${e.message}`);
            return 2;
        }
        throw e;
    }
}

function findLeaks(dir: string, sshPrivateKeyPlaintext: string | undefined): string[] {
    const keyLine = sshPrivateKeyPlaintext ? sshPrivateKeyPlaintext.trim().split("\n")[1] : undefined;
    const leaks: string[] = [];
    const scan = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) scan(p);
            else {
                const text = fs.readFileSync(p, "utf8");
                if (text.includes(SYNTH_SECRET_MARKER) || (keyLine && text.includes(keyLine))) leaks.push(p);
            }
        }
    };
    scan(dir);
    return leaks;
}

runTool(TOOL, USAGE, main);
