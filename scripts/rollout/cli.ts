/**
 * npm run rollout -- --stack NAME [--versions key=value,...] [--dry-run] [--prometheus-url URL] [--policy-pack-config FILE]
 *                    [--after-wave CMD]
 *
 * Rolls new pinned versions through a region stack wave by wave, each wave gated on measured health
 * (scripts/rollout/driver.ts). `--dry-run` prints the wave plan from Pulumi.<stack>.yaml alone: no backend, no
 * CLI, no network. Without --versions it resumes the rollout recorded in the stack's config.
 *
 * Environment: EDGE_PROMETHEUS_USER (default "reader") / EDGE_PROMETHEUS_PASSWORD for the hub; the Automation API
 * needs the pulumi CLI, PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE.
 * Exit codes (scripts/lib/cli.ts): 0 done (or plan printed), 1 stopped (policy violation, failed up, failed gate) or
 * invalid stack config, 2 usage error.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { loadStackFile } from "../../components/config/load";
import type { Versions } from "../../components/config/types";
import { VERSION_PATTERNS } from "../../components/config/validate";
import { parseArgs as parseToolArgs, runTool, stackSource, UsageError } from "../lib/cli";
import { gatePrometheusUrl, runRollout } from "./driver";
import { formatPlan, planRollout, RolloutPlanError } from "./plan";

const USAGE =
    "usage: npm run rollout -- (--stack NAME | --config-file PATH) [--versions key=value,...] [--dry-run] [--prometheus-url URL] [--policy-pack-config FILE] [--after-wave CMD]";

export interface RolloutArgs {
    stack: string;
    /** The stack file (the dry run reads only this). */
    file: string;
    versions: Partial<Versions>;
    dryRun: boolean;
    prometheusUrl?: string;
    policyPackConfig?: string;
    afterWave?: string;
}

export function parseVersions(text: string): Partial<Versions> {
    const out: Partial<Versions> = {};
    for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
        const m = /^([A-Za-z0-9]+)=(\S+)$/.exec(part);
        if (!m) throw new UsageError(`--versions: ${JSON.stringify(part)} is not key=value`);
        const k = m[1] as keyof Versions;
        if (!(k in VERSION_PATTERNS)) throw new UsageError(`--versions: unknown key ${JSON.stringify(m[1])}; known: ${Object.keys(VERSION_PATTERNS).join(", ")}`);
        if (!VERSION_PATTERNS[k].test(m[2])) throw new UsageError(`--versions: ${k}=${JSON.stringify(m[2])} does not look like ${VERSION_PATTERNS[k]}`);
        out[k] = m[2];
    }
    return out;
}

export function parseArgs(argv: string[]): RolloutArgs {
    const a = parseToolArgs(argv, { values: ["--stack", "--config-file", "--versions", "--prometheus-url", "--policy-pack-config", "--after-wave"], flags: ["--dry-run"] });
    const source = stackSource(a);
    const dryRun = a.flags.has("--dry-run");
    if (!dryRun && a.values.has("--config-file")) throw new UsageError("--config-file is for --dry-run only; a rollout works on a stack (--stack NAME)");
    const v = (k: string) => a.values.get(k);
    return {
        stack: source.stack,
        file: source.file,
        versions: parseVersions(v("--versions") ?? ""),
        dryRun,
        ...(v("--prometheus-url") ? { prometheusUrl: v("--prometheus-url")! } : {}),
        ...(v("--policy-pack-config") ? { policyPackConfig: path.resolve(v("--policy-pack-config")!) } : {}),
        ...(v("--after-wave") ? { afterWave: v("--after-wave")! } : {}),
    };
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    try {
        if (args.dryRun) {
            const { config } = loadStackFile(args.file);
            const plan = planRollout(config, args.versions);
            console.log(formatPlan(args.stack, plan, { ...config.healthGate, prometheusUrl: gatePrometheusUrl(config, args.prometheusUrl) }));
            return 0;
        }
        // Loaded only here: the dry run must work without the Automation API's CLI.
        const { AutomationStack } = await import("./automation");
        const stack = await AutomationStack.select(args.stack, args.policyPackConfig ? { policyPackConfig: args.policyPackConfig } : {}).catch((e: Error) => {
            if (/ENOENT/.test(String(e.message))) throw new Error("the Pulumi CLI is not installed or not on PATH (the Automation API drives it); nothing was changed");
            throw e;
        });
        const outcome = await runRollout(stack, {
            versions: args.versions,
            ...(args.prometheusUrl ? { prometheusUrl: args.prometheusUrl } : {}),
            prometheusUser: process.env.EDGE_PROMETHEUS_USER ?? "reader",
            prometheusPassword: process.env.EDGE_PROMETHEUS_PASSWORD ?? "",
            ...(args.afterWave
                ? {
                      afterWave: async (wave: number) => {
                          const r = spawnSync("bash", ["-c", args.afterWave!], { stdio: "inherit", env: { ...process.env, ROLLOUT_STACK: args.stack, ROLLOUT_WAVE: String(wave) } });
                          if (r.status !== 0) throw new Error(`--after-wave command exited ${r.status}`);
                      },
                  }
                : {}),
        });
        if (outcome.status === "nothing-to-do") console.log(outcome.message);
        return outcome.status === "completed" || outcome.status === "nothing-to-do" ? 0 : 1;
    } catch (e) {
        if (e instanceof RolloutPlanError) {
            console.error(`rollout: ${e.message}`);
            return 1;
        }
        if (e instanceof Error && /Pulumi CLI is not installed/.test(e.message)) {
            console.error(`rollout: ${e.message}`);
            return 1;
        }
        throw e;
    }
}

if (require.main === module) runTool("rollout", USAGE, main);
