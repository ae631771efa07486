/**
 * On-call summary of a region stack, from `pulumi stack export` JSON (after `pulumi refresh`): which sites and
 * hosts are down, re-imaged (and whether the re-provision is still pending), or drifted from the config.
 *
 *   tsx scripts/oncall/summarise.ts [--stack NAME] EXPORT.json        summary for humans
 *   tsx scripts/oncall/summarise.ts --host-urns SITE HOST EXPORT.json  "probe URN" / "command URN" lines
 *
 * Reads only the host probes' non-secret facts and the step commands' re-provision triggers; never prints a
 * secret value. Exit codes: 0 summary printed, 1 unreadable or not a stack export / unknown host, 2 usage.
 */
import * as fs from "node:fs";
import { HOST_PROBE_TYPE } from "../../components/host/probe";
import { HOST_STEP_NAMES } from "../../components/host/steps";
import { nameOfUrn as nameOf, parseProbeName, parseStepName, probeResourceName, siteGlobOverlaps, siteResourceGlobs } from "../../components/naming";
import { SECRET_SIG_KEY } from "../synth/secrets";
import { renderCertificateNotices } from "./certificates";

export const COMMAND_TYPE = "command:remote:Command";

export class ExportError extends Error {}

export interface ExportResource {
    urn: string;
    type: string;
    parent?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
}

export type HostCondition = "down" | "host-key-changed" | "key-refused" | "probe-failed" | "reimaged-pending" | "not-provisioned" | "drifted" | "ok";

export interface HostReport {
    site: string;
    host: string;
    address: string;
    condition: HostCondition;
    /** One line each, most important first. */
    details: string[];
    probeUrn: string;
    /** The probe's parent: the host component. */
    parentUrn: string;
    commandUrns: string[];
}

export interface StackSummary {
    hosts: HostReport[];
    /** Commands of hosts that have no probe in the state (deployed before the probe existed). */
    unprobedHosts: string[];
}

const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG_KEY in (v as object);
const str = (v: unknown): string => (v === undefined || v === null ? "" : isSecret(v) ? "[secret]" : String(v));

export function parseStackExport(text: string, source: string): ExportResource[] {
    let doc: any;
    try {
        doc = JSON.parse(text);
    } catch (e) {
        throw new ExportError(`${source} is not JSON (${(e as Error).message}); expected the output of \`pulumi stack export\``);
    }
    const resources = doc?.deployment?.resources ?? (doc?.deployment && !doc.deployment.resources ? [] : undefined);
    if (!Array.isArray(resources)) throw new ExportError(`${source} has no deployment.resources list; expected the output of \`pulumi stack export\``);
    return resources.filter((r: any) => r && typeof r.urn === "string" && typeof r.type === "string");
}

const shortTime = (iso: string) => (iso ? iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, "Z") : "unknown time");
const shortId = (id: string) => (id.length > 12 ? `${id.slice(0, 12)}…` : id || "none");

function ago(iso: string, now: Date): string {
    const t = Date.parse(iso);
    if (!Number.isFinite(t)) return "";
    const min = Math.max(0, Math.round((now.getTime() - t) / 60000));
    if (min < 60) return ` (${min} min ago)`;
    if (min < 48 * 60) return ` (${Math.round(min / 60)} h ago)`;
    return ` (${Math.round(min / 1440)} days ago)`;
}

export function analyse(resources: ExportResource[], now = new Date()): StackSummary {
    const commands = new Map<string, { urn: string; triggers: unknown[]; provisioning: boolean }[]>();
    for (const r of resources) {
        if (r.type !== COMMAND_TYPE) continue;
        const step = parseStepName(nameOf(r.urn));
        if (!step) continue;
        const key = `${step.site}/${step.host}`;
        const triggers = (r.outputs?.triggers ?? r.inputs?.triggers ?? []) as unknown[];
        // The host's own provisioning steps carry the machine-id trigger; add-on steps (e.g. the image import) follow them.
        const provisioning = (HOST_STEP_NAMES as readonly string[]).includes(step.step);
        commands.set(key, [...(commands.get(key) ?? []), { urn: r.urn, triggers: Array.isArray(triggers) ? triggers : [], provisioning }]);
    }
    const hosts: HostReport[] = [];
    const probed = new Set<string>();
    for (const r of resources) {
        if (r.type !== HOST_PROBE_TYPE) continue;
        const o = { ...(r.inputs ?? {}), ...(r.outputs ?? {}) };
        const named = parseProbeName(nameOf(r.urn));
        const site = str(o.siteId) || named?.site || "?";
        const host = str(o.hostId) || named?.host || "?";
        const key = `${site}/${host}`;
        probed.add(key);
        const cmds = commands.get(key) ?? [];
        const status = str(o.status) || "unknown";
        const machineId = str(o.machineId);
        const since = str(o.statusSince);
        const lastError = str(o.lastError);
        const details: string[] = [];
        let condition: HostCondition;

        // The machine-id the step commands were last run for (their re-provision trigger).
        const provisionedFor = cmds.filter((c) => c.provisioning).map((c) => str(c.triggers[0])).find((t) => t !== "") ?? "";
        const facts = () => {
            const k3s = str(o.k3sVersion);
            return `last known: machine-id ${shortId(machineId)}, K3s ${k3s || "not installed"}, shim ${o.shimPresent === true || o.shimPresent === "true" ? "present" : "absent"}`;
        };
        if (status === "unreachable") {
            condition = "down";
            details.push(`unreachable since ${shortTime(since)}${ago(since, now)}: ${lastError}`, facts());
        } else if (status === "host-key-mismatch") {
            condition = "host-key-changed";
            details.push(`host key does not match the configured hostKey since ${shortTime(since)}: ${lastError}`);
            details.push("re-imaged hosts get new host keys: verify out of band, then update hostKey in the stack config");
        } else if (status === "auth-failed") {
            condition = "key-refused";
            details.push(`our SSH key is refused since ${shortTime(since)}: ${lastError}`, facts());
        } else if (status !== "ok") {
            condition = "probe-failed";
            details.push(`probe ${status} since ${shortTime(since)}: ${lastError}`, facts());
        } else if (cmds.length === 0) {
            condition = "not-provisioned";
            details.push("no step commands in the state yet (new host or never provisioned)");
        } else if (provisionedFor && provisionedFor !== machineId) {
            condition = "reimaged-pending";
            details.push(`re-imaged: machine-id ${shortId(provisionedFor)} -> ${shortId(machineId)}, seen ${shortTime(str(o.reimagedAt))}${ago(str(o.reimagedAt), now)}`);
            details.push(`the next pulumi up re-provisions it (its ${cmds.filter((c) => c.provisioning).length} provisioning steps are replaced)`);
        } else {
            const drift: string[] = [];
            const k3s = str(o.k3sVersion);
            const expected = str(o.expectedK3sVersion);
            if (!k3s) drift.push(`K3s is not installed (expected ${expected || "any"})`);
            else if (expected && k3s !== expected) drift.push(`K3s ${k3s} installed, ${expected} expected`);
            if (!(o.shimPresent === true || o.shimPresent === "true")) drift.push("containerd-shim-wasmedge-v1 is missing");
            condition = drift.length ? "drifted" : "ok";
            details.push(...drift);
        }
        if (condition === "ok" && str(o.previousMachineId) && str(o.reimagedAt)) {
            details.push(`re-imaged ${shortTime(str(o.reimagedAt))} (machine-id was ${shortId(str(o.previousMachineId))}), re-provisioned since`);
        }
        hosts.push({ site, host, address: `${str(o.address)}:${str(o.port) || "22"}`, condition, details, probeUrn: r.urn, parentUrn: r.parent ?? "", commandUrns: cmds.map((c) => c.urn) });
    }
    const unprobedHosts = [...commands.keys()].filter((k) => !probed.has(k)).sort();
    hosts.sort((a, b) => a.site.localeCompare(b.site) || a.host.localeCompare(b.host));
    return { hosts, unprobedHosts };
}

const SECTIONS: { condition: HostCondition; title: string; action: (stack: string, h: HostReport) => string | undefined }[] = [
    { condition: "down", title: "DOWN (state kept, nothing will be re-provisioned)", action: () => undefined },
    { condition: "host-key-changed", title: "HOST KEY CHANGED (facts not trusted, state kept)", action: () => undefined },
    { condition: "key-refused", title: "SSH KEY REFUSED (state kept)", action: () => undefined },
    { condition: "probe-failed", title: "PROBE FAILED (state kept)", action: () => undefined },
    { condition: "reimaged-pending", title: "RE-IMAGED, waiting for re-provisioning", action: (s, h) => `scripts/oncall-reprovision-host.sh ${s} ${h.site} ${h.host}` },
    { condition: "drifted", title: "DRIFTED from the config", action: (s, h) => `scripts/oncall-reprovision-host.sh ${s} ${h.site} ${h.host} --force` },
    { condition: "not-provisioned", title: "NOT PROVISIONED YET", action: () => undefined },
];

export function renderSummary(summary: StackSummary, stack: string): string {
    const out: string[] = [];
    const hosts = summary.hosts;
    const sites = [...new Set(hosts.map((h) => h.site))];
    out.push(`edge-estate on-call summary for stack ${stack}: ${sites.length} sites, ${hosts.length} hosts probed`);
    // Lead with what is wrong: a tired human reads the first lines only.
    const siteHosts = (site: string) => hosts.filter((h) => h.site === site);
    const badSites = sites.filter((s) => siteHosts(s).some((h) => h.condition !== "ok"));
    const downSites = sites.filter((s) => siteHosts(s).every((h) => h.condition === "down"));
    if (hosts.length) {
        out.push(
            badSites.length
                ? `${badSites.length} of ${sites.length} sites need attention${downSites.length ? ` (${downSites.length} DOWN: ${downSites.join(", ")})` : ""}: ${badSites.filter((s) => !downSites.includes(s)).join(", ") || "see below"}; ${sites.length - badSites.length} ok`
                : `all ${sites.length} sites ok`,
        );
    }
    if (hosts.length === 0) {
        out.push("No host probes in this state. Was the stack deployed before the day-2 probe existed? Run `pulumi up` once.");
    }
    const w = Math.max(4, ...hosts.map((h) => h.site.length));
    const hw = Math.max(4, ...hosts.map((h) => h.host.length));
    for (const section of SECTIONS) {
        const list = hosts.filter((h) => h.condition === section.condition);
        if (list.length === 0) continue;
        out.push("", `${section.title}: ${list.length} host${list.length === 1 ? "" : "s"}`);
        for (const h of list) {
            out.push(`  ${h.site.padEnd(w)}  ${h.host.padEnd(hw)}  ${h.address}`);
            for (const d of h.details) out.push(`  ${"".padEnd(w)}  ${"".padEnd(hw)}  - ${d}`);
            const action = section.action(stack, h);
            if (action) out.push(`  ${"".padEnd(w)}  ${"".padEnd(hw)}  fix: ${action}`);
        }
    }
    const ok = hosts.filter((h) => h.condition === "ok");
    out.push("", `OK: ${ok.length} host${ok.length === 1 ? "" : "s"}`);
    for (const h of ok.filter((x) => x.details.length)) out.push(`  ${h.site.padEnd(w)}  ${h.host.padEnd(hw)}  - ${h.details.join("; ")}`);

    out.push("", `Sites needing attention: ${badSites.length} of ${sites.length}${badSites.length ? "" : " (none)"}`);
    for (const site of badSites) {
        const list = hosts.filter((h) => h.site === site);
        const bad = list.filter((h) => h.condition !== "ok");
        const down = list.filter((h) => h.condition === "down").length;
        const verdict = down === list.length ? "DOWN" : bad.length ? "NEEDS ATTENTION" : "ok";
        const counts = [...new Set(bad.map((h) => h.condition))].map((c) => `${bad.filter((h) => h.condition === c).length} ${c}`).join(", ");
        out.push(`  ${site.padEnd(w)}  ${verdict}${counts ? ` (${counts} of ${list.length} hosts)` : ` (${list.length} hosts)`}`);
    }
    out.push(`Healthy sites: ${sites.length - badSites.length}`);
    if (summary.unprobedHosts.length) out.push("", `Hosts without a probe (run pulumi up once to add them): ${summary.unprobedHosts.join(", ")}`);
    const deadSites = sites.filter((s) => hosts.filter((h) => h.site === s).every((h) => h.condition === "down"));
    if (deadSites.length) {
        out.push("", "A dead site need not block the others: `pulumi up --continue-on-error`, or leave it out entirely:");
        out.push(`  pulumi up -s ${stack} ${deadSites.map(excludeFlags).join(" ")} --exclude-dependents`);
        for (const s of deadSites) {
            const clash = siteGlobOverlaps(s, sites);
            if (clash.length) out.push(`  careful: '${siteResourceGlobs(s)[2]}' also matches site ${clash.join(", ")}; list exact URNs with \`pulumi stack --show-urns\` instead`);
        }
        out.push("  (see docs/day2.md, \"Working around a dead site\")");
    }
    return out.join("\n") + "\n";
}

/** `--exclude` flags for every resource of a site (components/naming.ts siteResourceGlobs). */
export function excludeFlags(site: string): string {
    return siteResourceGlobs(site)
        .map((g) => `--exclude '${g}'`)
        .join(" ");
}

/** The probe and step-command URNs of one host, for `pulumi up --target/--replace`. */
export function hostUrns(resources: ExportResource[], site: string, host: string): { probe?: string; commands: string[] } {
    const probe = resources.find((r) => r.type === HOST_PROBE_TYPE && nameOf(r.urn) === probeResourceName(site, host))?.urn;
    const commands = resources.filter((r) => r.type === COMMAND_TYPE && parseStepName(nameOf(r.urn))?.site === site && parseStepName(nameOf(r.urn))?.host === host).map((r) => r.urn);
    return { ...(probe ? { probe } : {}), commands };
}

function knownHosts(resources: ExportResource[]): string[] {
    const hostOf = (r: ExportResource) => (r.type === HOST_PROBE_TYPE ? parseProbeName(nameOf(r.urn)) : r.type === COMMAND_TYPE ? parseStepName(nameOf(r.urn)) : undefined);
    return [...new Set(resources.map(hostOf).flatMap((h) => (h ? [`${h.site}/${h.host}`] : [])))].sort();
}

function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
}

/** The closest names (edit distance at most a third of the name, best first), for "did you mean". */
function closest(name: string, candidates: string[], n = 3): string[] {
    const limit = Math.max(1, Math.floor(name.length / 3));
    return candidates
        .map((c) => ({ c, d: editDistance(name, c) }))
        .filter((x) => x.d <= limit)
        .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
        .slice(0, n)
        .map((x) => x.c);
}

/** One short line: did you mean, and only the hosts of the site in question (never every host of the region). */
export function unknownHostMessage(known: string[], site: string, host: string): string {
    const sites = [...new Set(known.map((k) => k.split("/")[0]))];
    if (!sites.includes(site)) {
        const near = closest(site, sites);
        return `no site ${site} in this stack${near.length ? `; did you mean ${near.join(" or ")}?` : ""} (${sites.length} sites${sites.length <= 10 ? `: ${sites.join(", ")}` : ""})`;
    }
    const own = known.filter((k) => k.startsWith(`${site}/`)).map((k) => k.slice(site.length + 1));
    const near = closest(host, own);
    return `no host ${host} on site ${site} in this stack${near.length ? `; did you mean ${near.join(" or ")}?` : ""} (hosts of ${site}: ${own.join(", ")})`;
}

const USAGE = "usage: summarise.ts [--stack NAME] EXPORT.json | summarise.ts --host-urns SITE HOST EXPORT.json";

export interface Io {
    out(text: string): void;
    err(text: string): void;
}

const PROCESS_IO: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

export function main(argv: string[], io: Io = PROCESS_IO): number {
    let stack = "";
    const positional: string[] = [];
    let urnsFor: [string, string] | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--stack") stack = argv[++i] ?? "";
        else if (argv[i] === "--host-urns") {
            const site = argv[++i];
            const host = argv[++i];
            if (!site || !host) {
                io.err(`summarise: --host-urns needs SITE and HOST\n${USAGE}\n`);
                return 2;
            }
            urnsFor = [site, host];
        } else if (argv[i].startsWith("--")) {
            io.err(`summarise: unknown option ${argv[i]}\n${USAGE}\n`);
            return 2;
        } else positional.push(argv[i]);
    }
    if (positional.length !== 1) {
        io.err(`${USAGE}\n`);
        return 2;
    }
    const file = positional[0];
    try {
        let text: string;
        try {
            text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
        } catch (e) {
            throw new ExportError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        const resources = parseStackExport(text, file);
        if (urnsFor) {
            const [site, host] = urnsFor;
            const urns = hostUrns(resources, site, host);
            if (!urns.probe && urns.commands.length === 0) throw new ExportError(unknownHostMessage(knownHosts(resources), site, host));
            if (urns.probe) io.out(`probe ${urns.probe}\n`);
            for (const c of urns.commands) io.out(`command ${c}\n`);
            return 0;
        }
        io.out(renderSummary(analyse(resources), stack || "(unnamed)") + renderCertificateNotices(resources));
        return 0;
    } catch (e) {
        if (e instanceof ExportError) {
            io.err(`summarise: ${e.message}\n`);
            return 1;
        }
        throw e;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
