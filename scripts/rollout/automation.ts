/**
 * `RolloutStack` on Pulumi's Automation API (`@pulumi/pulumi/automation`): a LocalWorkspace over this project
 * directory, the stack selected by name. Config changes go through the workspace (they land in
 * Pulumi.<stack>.yaml); preview and up carry the policy pack; policy events come from the engine event stream,
 * never from parsing CLI text. The Automation API drives the `pulumi` CLI underneath, so this needs the CLI on
 * PATH plus PULUMI_BACKEND_URL / PULUMI_CONFIG_PASSPHRASE in the environment.
 */
import * as path from "node:path";
import { type EngineEvent, LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { PROJECT } from "../../components/config/defaults";
import type { Versions } from "../../components/config/types";
import type { RawEstateConfig } from "../../components/config/validate";
import type { ProbeFacts } from "./gate";
import type { PolicyViolation, PreviewOutcome, RolloutStack } from "./driver";
import { probeFactsFromResources } from "./probe-facts";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
export const POLICY_PACK_DIR = path.join(PROJECT_ROOT, "policy-pack");

const key = (k: string) => `${PROJECT}:${k}`;

function parseValue(v: string): unknown {
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
}

/** Engine policy events -> violations, split by enforcement level. */
export function collectPolicyEvents(events: EngineEvent[]): PreviewOutcome {
    const out: PreviewOutcome = { mandatory: [], advisory: [] };
    for (const e of events) {
        const p = e.policyEvent;
        if (!p) continue;
        const v: PolicyViolation = { policy: `${p.policyPackName}/${p.policyName}`, message: p.message, ...(p.resourceUrn ? { urn: p.resourceUrn } : {}) };
        (p.enforcementLevel === "mandatory" ? out.mandatory : out.advisory).push(v);
    }
    return out;
}

export class AutomationStack implements RolloutStack {
    private constructor(
        private readonly stack: Stack,
        private readonly policyPack: string,
        private readonly policyPackConfig: string | undefined,
        private readonly onOutput: (line: string) => void,
    ) {}

    get name(): string {
        return this.stack.name;
    }

    static async select(stackName: string, opts: { workDir?: string; policyPack?: string; policyPackConfig?: string; onOutput?: (line: string) => void } = {}): Promise<AutomationStack> {
        const stack = await LocalWorkspace.selectStack({ stackName, workDir: opts.workDir ?? PROJECT_ROOT });
        return new AutomationStack(stack, opts.policyPack ?? POLICY_PACK_DIR, opts.policyPackConfig, opts.onOutput ?? ((l) => process.stdout.write(l)));
    }

    async readConfig(): Promise<RawEstateConfig> {
        const all = await this.stack.getAllConfig();
        const raw: RawEstateConfig = {};
        for (const [k, v] of Object.entries(all)) if (k.startsWith(`${PROJECT}:`)) raw[k.slice(PROJECT.length + 1)] = k === key("sshPrivateKey") ? "[secret]" : parseValue(v.value);
        return raw;
    }

    async writeRollout(versions: Versions, rollout: { throughWave: number; previousVersions: Partial<Versions> } | undefined): Promise<void> {
        // Path form (`pulumi config set --path`): leaves are set one by one, integers stay integers.
        for (const [k, v] of Object.entries(versions)) await this.stack.setConfig(key(`versions.${k}`), { value: v }, true);
        await this.stack.removeConfig(key("rollout")).catch(() => undefined);
        if (!rollout) return;
        await this.stack.setConfig(key("rollout.throughWave"), { value: String(rollout.throughWave) }, true);
        for (const [k, v] of Object.entries(rollout.previousVersions)) await this.stack.setConfig(key(`rollout.previousVersions.${k}`), { value: String(v) }, true);
    }

    /** The same pack (and budget-derived pack config) as the PR check's preview. */
    private policyOptions() {
        return { policyPacks: [this.policyPack], ...(this.policyPackConfig ? { policyPackConfigs: [this.policyPackConfig] } : {}) };
    }

    async preview(): Promise<PreviewOutcome> {
        const events: EngineEvent[] = [];
        try {
            await this.stack.preview({ ...this.policyOptions(), onEvent: (e) => events.push(e), onOutput: this.onOutput });
        } catch (e) {
            // A mandatory violation fails the preview; report the violations instead of the CLI's exit.
            const outcome = collectPolicyEvents(events);
            if (outcome.mandatory.length > 0) return outcome;
            throw e;
        }
        return collectPolicyEvents(events);
    }

    async up(): Promise<void> {
        await this.stack.up({ ...this.policyOptions(), onOutput: this.onOutput });
    }

    async refresh(): Promise<void> {
        await this.stack.refresh({ onOutput: this.onOutput });
    }

    async probeFacts(): Promise<ProbeFacts[]> {
        const deployment = await this.stack.exportStack();
        return probeFactsFromResources((deployment.deployment?.resources ?? []) as { type: string; outputs?: Record<string, unknown> }[]);
    }
}
