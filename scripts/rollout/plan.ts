/**
 * The wave plan of a rollout, from a validated stack config alone (no backend): which sites each wave holds and
 * which pinned versions change on them. `npm run rollout -- --dry-run` prints it; the driver walks the same waves.
 */
import { laggingVersions, versionsForSite } from "../../components/plan";
import type { EstateConfig, Versions } from "../../components/config/types";

export interface VersionChange {
    key: keyof Versions;
    from: string;
    to: string;
}

export interface PlannedSite {
    id: string;
    city: string;
    hostIds: string[];
    changes: VersionChange[];
}

export interface PlannedWave {
    wave: number;
    sites: PlannedSite[];
    /** True when the stack's rollout already covers this wave (throughWave >= wave): the driver re-checks it. */
    alreadyRolled: boolean;
}

export interface RolloutPlan {
    region: string;
    /** What every site runs once the rollout is complete. */
    target: Versions;
    /** Versions the sites still outside the rollout keep (also what a fresh rollout starts from). */
    previous: Versions;
    inProgress: boolean;
    /** First wave the driver will (re)apply. */
    startWave: number | undefined;
    waves: PlannedWave[];
}

export class RolloutPlanError extends Error {}

const VERSION_KEYS: (keyof Versions)[] = ["k3s", "wasmedgeShim", "gatekeeper", "mosquitto", "prometheus", "grafana", "nodeExporter"];

export function diffVersions(from: Versions, to: Versions): VersionChange[] {
    return VERSION_KEYS.filter((k) => from[k] !== to[k]).map((k) => ({ key: k, from: from[k], to: to[k] }));
}

/** Only the keys that differ from `target`: what `rollout.previousVersions` holds. */
export function previousVersionsDelta(previous: Versions, target: Versions): Partial<Versions> {
    const out: Partial<Versions> = {};
    for (const c of diffVersions(target, previous)) out[c.key] = c.to;
    return out;
}

export function siteWaves(config: EstateConfig): number[] {
    return [...new Set(config.sites.map((s) => s.wave))].sort((a, b) => a - b);
}

/**
 * `requested`: the versions to roll (merged over the stack's `versions`). While a rollout is in progress the
 * request must be the versions already being rolled (or empty = resume); anything else is refused.
 */
export function planRollout(config: EstateConfig, requested: Partial<Versions>): RolloutPlan {
    const inProgress = config.rollout.throughWave !== undefined;
    let target: Versions;
    let previous: Versions;
    if (inProgress) {
        target = config.versions;
        previous = laggingVersions(config.versions, config.rollout);
        const asked = { ...config.versions, ...requested };
        const clash = diffVersions(config.versions, asked);
        if (clash.length > 0)
            throw new RolloutPlanError(
                `a rollout is in progress on this stack through wave ${config.rollout.throughWave} (versions ${describe(diffVersions(previous, target))}); ` +
                    `resume it without --versions (or with the same ones), or finish it first; refusing to start ${describe(clash)}`,
            );
    } else {
        previous = config.versions;
        target = { ...config.versions, ...requested };
    }
    const waves = siteWaves(config);
    const startWave = inProgress ? config.rollout.throughWave : waves[0];
    return {
        region: config.region,
        target,
        previous,
        inProgress,
        startWave,
        waves: waves.map((wave) => ({
            wave,
            alreadyRolled: inProgress && wave <= config.rollout.throughWave!,
            sites: config.sites
                .filter((s) => s.wave === wave)
                .map((s) => ({ id: s.id, city: s.city, hostIds: s.hosts.map((h) => h.id), changes: diffVersions(inProgress ? versionsForSite(config, s) : previous, target) })),
        })),
    };
}

function describe(changes: VersionChange[]): string {
    return changes.length === 0 ? "none" : changes.map((c) => `${c.key} ${c.from} -> ${c.to}`).join(", ");
}

export function formatPlan(stack: string, plan: RolloutPlan, gate: { soakSeconds: number; trackingP99Ms: number; prometheusUrl: string }): string {
    const all = diffVersions(plan.previous, plan.target);
    const lines = [
        `Rollout plan for stack ${stack} (region ${plan.region}): ${all.length === 0 ? "no version change requested (pass --versions key=value,...)" : describe(all)}`,
        plan.inProgress ? `In progress: waves up to ${plan.startWave} already carry the new versions; the driver re-checks wave ${plan.startWave} first.` : "No rollout in progress.",
        "",
    ];
    for (const w of plan.waves) {
        const hosts = w.sites.reduce((n, s) => n + s.hostIds.length, 0);
        lines.push(`wave ${w.wave}: ${w.sites.length} site${w.sites.length === 1 ? "" : "s"}, ${hosts} host${hosts === 1 ? "" : "s"}${w.alreadyRolled ? " (already rolled)" : ""}`);
        for (const s of w.sites) lines.push(`  ${s.id.padEnd(14)} ${s.hostIds.join(" ").padEnd(24)} ${describe(s.changes)}`);
    }
    lines.push(
        "",
        `Per wave: set rollout.throughWave -> preview with the policy pack (stop on a mandatory violation) -> up -> soak ${gate.soakSeconds}s -> refresh ->`,
        `health gate on ${gate.prometheusUrl} (every site reporting, no firing alerts, tracking p99 <= ${gate.trackingP99Ms} ms, every node's kubelet up, K3s ${plan.target.k3s} on every host).`,
        "After the last wave: rollout is removed from the stack config.",
    );
    return lines.join("\n");
}
