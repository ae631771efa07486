/**
 * The health gate of one rollout wave: after the wave's `up`, its sites must stay healthy for the soak window,
 * measured on the region hub's Prometheus (every site reporting, no firing alerts, tracking p99 within the SLO,
 * every node's kubelet answering) and in the host probes' facts after a refresh (the expected K3s version and
 * the shim on every host). Every failure names the site (and host), the check, the measured value and the
 * threshold, so the report reads on its own.
 */
import { JOBS } from "../../components/addons/monitoring/names";
import type { HealthGateConfig } from "../../components/config/types";
import { type PrometheusClient, PrometheusError, type PromSample } from "./prometheus";

/** A heartbeat older than this at the end of the window means the site stopped reporting. */
export const MAX_HEARTBEAT_AGE_SECONDS = 120;

export type GateCheck = "reporting" | "alerts" | "tracking-p99" | "nodes-ready" | "versions" | "prometheus";

export interface GateFailure {
    site: string;
    host?: string;
    check: GateCheck;
    value: string;
    threshold: string;
}

export interface GateSite {
    id: string;
    hostIds: string[];
}

/** What the host probe recorded for one host (components/host/probe.ts outputs). */
export interface ProbeFacts {
    siteId: string;
    hostId: string;
    status: string;
    k3sVersion: string;
    shimPresent: boolean;
    lastError?: string;
}

export interface GateInput {
    wave: number;
    sites: GateSite[];
    thresholds: Pick<HealthGateConfig, "soakSeconds" | "trackingP99Ms">;
    /** The K3s version every host of the wave must run. */
    expectedK3s: string;
    probes: ProbeFacts[];
    prometheus: PrometheusClient;
    /** End of the soak window (default: now). */
    at?: Date;
}

export interface GateResult {
    passed: boolean;
    wave: number;
    failures: GateFailure[];
    /** Per site: the measured values, for the report. */
    measured: Record<string, Record<string, string>>;
}

export function formatFailure(f: GateFailure): string {
    return `site ${f.site}${f.host ? ` host ${f.host}` : ""}: ${f.check} check failed: measured ${f.value}, threshold ${f.threshold}`;
}

export function formatGateResult(r: GateResult): string {
    const lines = [`health gate of wave ${r.wave}: ${r.passed ? "PASSED" : `FAILED (${r.failures.length} problem${r.failures.length === 1 ? "" : "s"})`}`];
    for (const f of r.failures) lines.push(`  - ${formatFailure(f)}`);
    for (const [site, values] of Object.entries(r.measured)) lines.push(`  ${site}: ${Object.entries(values).map(([k, v]) => `${k} ${v}`).join(", ")}`);
    return lines.join("\n");
}

const siteMatcher = (sites: GateSite[]) => `site=~"${sites.map((s) => s.id.replace(/[^a-z0-9-]/g, "")).join("|")}"`;

function bySite(samples: PromSample[]): Map<string, PromSample[]> {
    const m = new Map<string, PromSample[]>();
    for (const s of samples) {
        const site = s.metric.site ?? "";
        m.set(site, [...(m.get(site) ?? []), s]);
    }
    return m;
}

const num = (v: string) => (v === "NaN" ? Number.NaN : Number(v));

/** Prometheus queries of the gate, by check (exported for the docs and the tests). */
export function gateQueries(sites: GateSite[], soakSeconds: number) {
    const sel = siteMatcher(sites);
    const w = `[${soakSeconds}s]`;
    return {
        heartbeatMin: `min by (site) (min_over_time(up{job="${JOBS.agent}", ${sel}}${w}))`,
        heartbeatAge: `max by (site) (time() - timestamp(up{job="${JOBS.agent}", ${sel}}))`,
        firing: `max by (site, alertname) (max_over_time(ALERTS{alertstate="firing", ${sel}}${w}))`,
        p99: `histogram_quantile(0.99, sum by (site, le) (rate(tracking_http_request_duration_seconds_bucket{job="${JOBS.tracking}", ${sel}}${w})))`,
        nodesUp: `count by (site) (min_over_time(up{job="${JOBS.kubelet}", ${sel}}${w}) == 1)`,
    };
}

/** Evaluates every check once, at the end of the soak window. Never throws for an unhealthy wave. */
export async function evaluateGate(input: GateInput): Promise<GateResult> {
    const failures: GateFailure[] = [];
    const measured: Record<string, Record<string, string>> = {};
    const note = (site: string, k: string, v: string) => ((measured[site] ??= {})[k] = v);
    const soak = input.thresholds.soakSeconds;
    const q = gateQueries(input.sites, soak);
    const at = input.at;

    try {
        const [minUp, age, firing, p99, nodes] = await Promise.all([
            input.prometheus.query(q.heartbeatMin, at),
            input.prometheus.query(q.heartbeatAge, at),
            input.prometheus.query(q.firing, at),
            input.prometheus.query(q.p99, at),
            input.prometheus.query(q.nodesUp, at),
        ]);
        const minUpBy = bySite(minUp);
        const ageBy = bySite(age);
        const firingBy = bySite(firing);
        const p99By = bySite(p99);
        const nodesBy = bySite(nodes);
        for (const site of input.sites) {
            // Reporting: a heartbeat through the whole window, and a recent one at its end.
            const up = minUpBy.get(site.id)?.[0];
            const lastAge = ageBy.get(site.id)?.[0];
            if (!up) failures.push({ site: site.id, check: "reporting", value: `no agent heartbeat in the last ${soak}s`, threshold: "a heartbeat (up == 1) throughout the window" });
            else if (num(up.value) < 1) failures.push({ site: site.id, check: "reporting", value: `agent heartbeat up == ${up.value} during the window`, threshold: "up == 1 throughout the window" });
            else if (lastAge && num(lastAge.value) > MAX_HEARTBEAT_AGE_SECONDS)
                failures.push({ site: site.id, check: "reporting", value: `last heartbeat ${Math.round(num(lastAge.value))}s old`, threshold: `at most ${MAX_HEARTBEAT_AGE_SECONDS}s` });
            note(site.id, "heartbeat", up ? `min ${up.value}` : "none");

            const alerts = (firingBy.get(site.id) ?? []).map((s) => s.metric.alertname).sort();
            if (alerts.length > 0) failures.push({ site: site.id, check: "alerts", value: `${alerts.join(", ")} firing`, threshold: "no firing alert in the window" });
            note(site.id, "alerts firing", String(alerts.length));

            const p = p99By.get(site.id)?.[0];
            const ms = p ? num(p.value) * 1000 : Number.NaN;
            if (!Number.isFinite(ms)) failures.push({ site: site.id, check: "tracking-p99", value: p ? `p99 ${p.value} (no tracking requests counted)` : "no tracking requests measured", threshold: `p99 <= ${input.thresholds.trackingP99Ms} ms over ${soak}s` });
            else if (ms > input.thresholds.trackingP99Ms) failures.push({ site: site.id, check: "tracking-p99", value: `p99 ${ms.toFixed(1)} ms`, threshold: `<= ${input.thresholds.trackingP99Ms} ms over ${soak}s` });
            note(site.id, "tracking p99", Number.isFinite(ms) ? `${ms.toFixed(1)} ms` : "n/a");

            const ready = nodes.length > 0 ? Number(nodesBy.get(site.id)?.[0]?.value ?? 0) : 0;
            if (ready < site.hostIds.length)
                failures.push({ site: site.id, check: "nodes-ready", value: `${ready} of ${site.hostIds.length} kubelets answering throughout the window`, threshold: `${site.hostIds.length} of ${site.hostIds.length}` });
            note(site.id, "nodes", `${ready}/${site.hostIds.length}`);
        }
    } catch (e) {
        if (!(e instanceof PrometheusError)) throw e;
        // Cannot measure = cannot pass; one failure per site so the report still names them.
        for (const site of input.sites) failures.push({ site: site.id, check: "prometheus", value: e.message, threshold: "the hub answers the gate's queries" });
    }

    // Versions: the probes' facts after the refresh that preceded this gate.
    for (const site of input.sites) {
        for (const hostId of site.hostIds) {
            const p = input.probes.find((x) => x.siteId === site.id && x.hostId === hostId);
            if (!p) failures.push({ site: site.id, host: hostId, check: "versions", value: "no host probe in the stack state", threshold: `K3s ${input.expectedK3s}` });
            else if (p.status !== "ok")
                failures.push({ site: site.id, host: hostId, check: "versions", value: `probe ${p.status}${p.lastError ? ` (${p.lastError})` : ""}`, threshold: `a probed host running K3s ${input.expectedK3s}` });
            else if (p.k3sVersion !== input.expectedK3s)
                failures.push({ site: site.id, host: hostId, check: "versions", value: `K3s ${p.k3sVersion || "not installed"}`, threshold: `K3s ${input.expectedK3s}` });
            else if (!p.shimPresent) failures.push({ site: site.id, host: hostId, check: "versions", value: "WasmEdge shim absent", threshold: "shim present" });
        }
    }
    return { passed: failures.length === 0, wave: input.wave, failures, measured };
}
