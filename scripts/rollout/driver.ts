/**
 * The rollout driver: walks a region stack's waves in order, each one promoted only when the sites already on the
 * new versions pass the health gate.
 *
 *   for each wave from the first not yet gated:
 *     set edge-estate:rollout {throughWave: wave, previousVersions} -> preview with the policy pack
 *     (a mandatory violation stops the run and restores the config) -> up -> soak -> refresh -> health gate
 *     (a failure stops the run; the config stays at this wave, later waves are never touched)
 *   after the last wave: remove edge-estate:rollout (every site has `versions`).
 *
 * The stack operations sit behind `RolloutStack`, so the same flow runs on Pulumi's Automation API
 * (automation.ts) and, in the tests, on the real program under mocks with the real policy pack.
 */
import { hubNodePortUrl } from "../../components/addons/monitoring/objects";
import type { EstateConfig, Versions } from "../../components/config/types";
import { type RawEstateConfig, validateEstateConfig } from "../../components/config/validate";
import { evaluateGate, formatGateResult, type GateResult, type ProbeFacts } from "./gate";
import { diffVersions, planRollout, previousVersionsDelta, type RolloutPlan } from "./plan";
import { PrometheusClient } from "./prometheus";

export interface PolicyViolation {
    policy: string;
    message: string;
    urn?: string;
}

export interface PreviewOutcome {
    /** Mandatory policy violations: the wave must not go ahead. */
    mandatory: PolicyViolation[];
    advisory: PolicyViolation[];
}

/** The stack operations the driver needs (LocalWorkspace/Stack in production). */
export interface RolloutStack {
    readonly name: string;
    /** The edge-estate:* config as the stack has it now (keys without the prefix; structured values parsed). */
    readConfig(): Promise<RawEstateConfig>;
    /** Writes edge-estate:versions and edge-estate:rollout (undefined = remove the key). */
    writeRollout(versions: Versions, rollout: { throughWave: number; previousVersions: Partial<Versions> } | undefined): Promise<void>;
    /** `pulumi preview --policy-pack <pack>`. */
    preview(): Promise<PreviewOutcome>;
    /** `pulumi up --policy-pack <pack>`; throws when the update fails. */
    up(): Promise<void>;
    /** `pulumi refresh`: the host probes re-read every host. */
    refresh(): Promise<void>;
    /** The host probes' outputs from the stack state. */
    probeFacts(): Promise<ProbeFacts[]>;
}

export type RolloutOutcome =
    | { status: "completed"; waves: number[] }
    | { status: "nothing-to-do"; message: string }
    | { status: "policy-violation"; wave: number; violations: PolicyViolation[] }
    | { status: "up-failed"; wave: number; error: string }
    | { status: "gate-failed"; wave: number; gate: GateResult };

export interface RolloutOptions {
    /** Versions to roll (merged over the stack's versions); empty = resume the rollout in progress. */
    versions: Partial<Versions>;
    /** Overrides healthGate.prometheusUrl / the hub default. */
    prometheusUrl?: string;
    prometheusUser?: string;
    prometheusPassword?: string;
    log?: (line: string) => void;
    /** Called after each wave's gate passed (e.g. to commit the stack file). */
    afterWave?: (wave: number) => Promise<void>;
    sleep?: (ms: number) => Promise<void>;
}

export function configFromRaw(raw: RawEstateConfig): EstateConfig {
    // Only its presence is checked here; the plaintext is never needed (the engine checks the key at preview).
    const { sshPrivateKey, ...rest } = raw;
    return validateEstateConfig(rest, { sshPrivateKeyPresent: sshPrivateKey !== undefined && sshPrivateKey !== "", requirePins: false });
}

export function gatePrometheusUrl(config: EstateConfig, override?: string): string {
    return (override ?? config.healthGate.prometheusUrl ?? hubNodePortUrl(config)).replace(/\/+$/, "");
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runRollout(stack: RolloutStack, opts: RolloutOptions): Promise<RolloutOutcome> {
    const log = opts.log ?? ((l: string) => console.log(l));
    const sleep = opts.sleep ?? defaultSleep;
    const initialRaw = await stack.readConfig();
    const initial = configFromRaw(initialRaw);
    const plan: RolloutPlan = planRollout(initial, opts.versions);
    if (!plan.inProgress && diffVersions(plan.previous, plan.target).length === 0)
        return { status: "nothing-to-do", message: `stack ${stack.name} already runs the requested versions everywhere; no rollout in progress` };

    const previousDelta = previousVersionsDelta(plan.previous, plan.target);
    const prometheus = new PrometheusClient({
        url: gatePrometheusUrl(initial, opts.prometheusUrl),
        ...(opts.prometheusUser !== undefined ? { user: opts.prometheusUser, password: opts.prometheusPassword ?? "" } : {}),
        timeoutSeconds: initial.healthGate.queryTimeoutSeconds,
    });
    const waves = plan.waves.filter((w) => w.wave >= plan.startWave!);
    log(`rollout of stack ${stack.name}: ${diffVersions(plan.previous, plan.target).map((c) => `${c.key} ${c.from} -> ${c.to}`).join(", ")}; waves ${waves.map((w) => w.wave).join(", ")}${plan.inProgress ? ` (resuming at wave ${plan.startWave})` : ""}`);

    // What to put back if a wave's preview is refused: the config as it was before that wave was set.
    let restore: () => Promise<void> = plan.inProgress
        ? () => stack.writeRollout(plan.target, { throughWave: plan.startWave!, previousVersions: previousDelta })
        : () => stack.writeRollout(plan.previous, undefined);

    for (const w of waves) {
        log(`wave ${w.wave}: ${w.sites.map((s) => s.id).join(", ")}`);
        await stack.writeRollout(plan.target, { throughWave: w.wave, previousVersions: previousDelta });
        const preview = await stack.preview();
        for (const v of preview.advisory) log(`  advisory: ${v.policy}: ${v.message}`);
        if (preview.mandatory.length > 0) {
            await restore();
            for (const v of preview.mandatory) log(`  MANDATORY: ${v.policy}: ${v.message}${v.urn ? ` (${v.urn})` : ""}`);
            log(`wave ${w.wave}: stopped before up: ${preview.mandatory.length} mandatory policy violation(s); the stack config is back as it was`);
            return { status: "policy-violation", wave: w.wave, violations: preview.mandatory };
        }
        try {
            await stack.up();
        } catch (e) {
            log(`wave ${w.wave}: up failed; the config stays at this wave, later waves untouched: ${(e as Error).message}`);
            return { status: "up-failed", wave: w.wave, error: (e as Error).message };
        }
        const config = configFromRaw(await stack.readConfig());
        log(`wave ${w.wave}: applied; soaking ${config.healthGate.soakSeconds}s before the health gate`);
        await sleep(config.healthGate.soakSeconds * 1000);
        await stack.refresh();
        const gate = await evaluateGate({
            wave: w.wave,
            sites: w.sites.map((s) => ({ id: s.id, hostIds: s.hostIds })),
            thresholds: config.healthGate,
            expectedK3s: plan.target.k3s,
            probes: await stack.probeFacts(),
            prometheus,
        });
        log(formatGateResult(gate));
        if (!gate.passed) {
            log(`wave ${w.wave}: stopped; rollout.throughWave stays ${w.wave}, later waves untouched. Fix the sites above and run the same command again to resume.`);
            return { status: "gate-failed", wave: w.wave, gate };
        }
        await opts.afterWave?.(w.wave);
        restore = () => stack.writeRollout(plan.target, { throughWave: w.wave, previousVersions: previousDelta });
    }
    await stack.writeRollout(plan.target, undefined);
    log(`rollout of stack ${stack.name} complete: every wave passed its gate; edge-estate:rollout removed`);
    return { status: "completed", waves: waves.map((w) => w.wave) };
}
