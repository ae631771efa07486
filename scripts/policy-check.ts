/**
 * Offline policy check: `npm run policy:check -- [options] PATH...`
 *
 * Reads Kubernetes YAML (files or folders, multi-document, `kind: List` unwrapped) and runs the policy pack's own
 * policy functions over it (policy-pack/offline.ts). Prints every violation; exits 1 when any is mandatory,
 * 0 when none is, 2 on bad input or usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadStackFile } from "../components/config/load";
import { ConfigError } from "../components/config/validate";
import { evaluateObjects, PolicyConfigError, validatePackConfig, type PolicyReport, type SiteObject } from "../policy-pack/offline";
import { policyConfigOfStack, type SiteHosts } from "../policy-pack/policies/config";
import { loadKubeYaml } from "./lib/kube-yaml";
import { OutputPathError, writeOutputFile } from "./lib/safe-output";

const USAGE = `usage: npm run policy:check -- [options] PATH...

PATH is a Kubernetes YAML file (multi-document allowed) or a folder searched for *.yaml / *.yml.

options:
  --config FILE        policy config in the --policy-pack-config JSON format, e.g.
                       {"container-limits-within-class-budget": {"classes": {"wasm": {"cpu": "500m", "memory": "128Mi"}}}}
  --stack-file FILE    take the budget (host capacity, K3s reserve, class ceilings) from a Pulumi.<stack>.yaml;
                       --config entries win over it
  --print-pack-config  print the resulting policy config as JSON (for pulumi --policy-pack-config) and exit
  --hosts ROLES        the site's hosts as a role list, e.g. server or server,agent,agent
  --servers N          number of K3s servers of the site (with --agents; alternative to --hosts)
  --agents N           number of K3s agents of the site
  --site ID            site id for all objects (default: taken from a sites/<id>/ folder in the path, else "default")
  --json FILE          also write the full report as JSON ("-" for stdout, replacing the text output)
  -h, --help           this text

Site capacity: a site's hosts come from --hosts/--servers/--agents, else from --stack-file's sites, else from the
policy config (default: one server); nothing among the objects (such as an edge-site-info ConfigMap) changes them.
Exit status: 0 no mandatory violation, 1 mandatory violations, 2 usage or input error.`;

class UsageError extends Error {}

interface Options {
    paths: string[];
    config?: string;
    stackFile?: string;
    printPackConfig?: boolean;
    siteHosts?: SiteHosts;
    site?: string;
    json?: string;
}

function wholeNumber(flag: string, v: string | undefined): number {
    if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number, got ${v === undefined ? "nothing" : JSON.stringify(v)}`);
    return Number(v);
}

export function parseArgs(argv: string[]): Options | "help" {
    const opts: Options = { paths: [] };
    let servers: number | undefined;
    let agents: number | undefined;
    let hosts: SiteHosts | undefined;
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = () => {
            const v = argv[++i];
            if (v === undefined || (v.startsWith("--") && v.length > 2)) throw new UsageError(`${a} needs a value`);
            return v;
        };
        switch (a) {
            case "-h":
            case "--help":
                return "help";
            case "--config":
                opts.config = value();
                break;
            case "--stack-file":
                opts.stackFile = value();
                break;
            case "--print-pack-config":
                opts.printPackConfig = true;
                break;
            case "--json":
                opts.json = value();
                break;
            case "--site":
                opts.site = value();
                if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(opts.site)) throw new UsageError(`--site must be a site id (DNS label), got ${JSON.stringify(opts.site)}`);
                break;
            case "--servers":
                servers = wholeNumber(a, value());
                break;
            case "--agents":
                agents = wholeNumber(a, value());
                break;
            case "--hosts": {
                const roles = value().split(",").map((r) => r.trim());
                const bad = roles.filter((r) => r !== "server" && r !== "agent");
                if (bad.length) throw new UsageError(`--hosts takes a comma-separated list of server/agent, got ${bad.map((b) => JSON.stringify(b)).join(", ")}`);
                hosts = { servers: roles.filter((r) => r === "server").length, agents: roles.filter((r) => r === "agent").length };
                break;
            }
            default:
                if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
                opts.paths.push(a);
        }
    }
    if (hosts && (servers !== undefined || agents !== undefined)) throw new UsageError("use either --hosts or --servers/--agents, not both");
    if (servers !== undefined || agents !== undefined) hosts = { servers: servers ?? 0, agents: agents ?? 0 };
    if (hosts) {
        if (hosts.servers + hosts.agents === 0) throw new UsageError("a site needs at least one host");
        opts.siteHosts = hosts;
    }
    if (!opts.paths.length && !opts.printPackConfig) throw new UsageError("no PATH given");
    return opts;
}

function yamlFiles(p: string): string[] {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(p);
    } catch {
        throw new UsageError(`${p}: no such file or folder`);
    }
    if (stat.isFile()) return [p];
    if (!stat.isDirectory()) throw new UsageError(`${p}: not a file or folder`);
    return fs
        .readdirSync(p, { withFileTypes: true })
        .sort((a, b) => a.name.localeCompare(b.name))
        .flatMap((e) => {
            const full = path.join(p, e.name);
            if (e.isDirectory()) return yamlFiles(full);
            return /\.(ya?ml|json)$/i.test(e.name) ? [full] : [];
        });
}

/** sites/<id>/... in a path names the site (synth's layout). */
function siteFromPath(file: string): string | undefined {
    const parts = path.resolve(file).split(path.sep);
    const i = parts.lastIndexOf("sites");
    return i >= 0 && i + 2 < parts.length ? parts[i + 1] : undefined;
}

/**
 * Objects from files and folders. A file named on the command line must hold only Kubernetes objects; in a folder,
 * other YAML (Helm values, kustomization.yaml, synth's chart descriptors) is skipped and listed in `skipped`.
 */
export function loadObjects(paths: string[], site?: string, skipped: string[] = []): SiteObject[] {
    const out: SiteObject[] = [];
    const named = new Set(paths.map((p) => path.resolve(p)));
    for (const file of [...new Set(paths.flatMap(yamlFiles))]) {
        const strict = named.has(path.resolve(file));
        let docs: unknown[];
        try {
            // As kubectl reads it: merge keys applied in document order, duplicate keys last-wins, .json too.
            docs = loadKubeYaml(fs.readFileSync(file, "utf8"), file);
        } catch (e) {
            throw new UsageError(`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
        }
        const siteId = site ?? siteFromPath(file) ?? "default";
        docs.forEach((doc, i) => {
            if (doc === null || doc === undefined) return;
            const where = `${file}${docs.length > 1 ? `#${i + 1}` : ""}`;
            const check = (o: unknown, at: string): Record<string, unknown> => {
                if (typeof o !== "object" || o === null || Array.isArray(o)) throw new UsageError(`${at}: not a Kubernetes object (expected a mapping)`);
                const obj = o as Record<string, unknown>;
                if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") throw new UsageError(`${at}: not a Kubernetes object (no apiVersion/kind)`);
                return obj;
            };
            if (!strict && !(typeof doc === "object" && doc !== null && !Array.isArray(doc) && "apiVersion" in doc && "kind" in doc)) {
                const d = doc as Record<string, unknown>;
                const chart = typeof d === "object" && typeof d.type === "string" && d.type.startsWith("kubernetes:helm.sh/");
                skipped.push(`${where}${chart ? " (Helm chart: its rendered objects are checked by pulumi preview --policy-pack, not offline)" : ""}`);
                return;
            }
            const obj = check(doc, where);
            if (obj.kind === "List" || /List$/.test(obj.kind as string)) {
                const items = obj.items;
                if (!Array.isArray(items)) throw new UsageError(`${where}: ${obj.kind} without an items list`);
                items.forEach((item, j) => out.push({ object: check(item, `${where} items[${j}]`), site: siteId, source: `${where} items[${j}]` }));
            } else {
                out.push({ object: obj, site: siteId, source: where });
            }
        });
    }
    return out;
}

function readConfig(file: string): Record<string, unknown> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new UsageError(`--config ${file}: cannot read the file`);
    }
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new UsageError(`--config ${file}: not valid JSON: ${(e as Error).message}`);
    }
}

/** --stack-file's budget as policy config, with --config entries laid over it policy by policy. */
function packConfig(opts: Options): Record<string, unknown> | undefined {
    const file = opts.config ? readConfig(opts.config) : undefined;
    if (!opts.stackFile) return file;
    let stack;
    try {
        stack = loadStackFile(opts.stackFile).config;
    } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`--stack-file ${opts.stackFile}: ${e.message}`);
        throw e;
    }
    // Budget, site topology (host roles per site) and Wasm repositories from the stack config: the only source the pack trusts.
    const merged: Record<string, unknown> = { ...policyConfigOfStack(stack) };
    for (const [k, v] of Object.entries(file ?? {})) {
        const base = merged[k];
        merged[k] = typeof v === "object" && v !== null && !Array.isArray(v) && typeof base === "object" ? { ...(base as object), ...v } : v;
    }
    return merged;
}

export function formatReport(report: PolicyReport): string {
    const lines: string[] = [];
    for (const v of report.violations) {
        const tag = v.enforcementLevel === "mandatory" ? "BLOCKED " : "advisory";
        const src = v.resource?.source ? `  [${v.resource.source}]` : "";
        lines.push(`${tag} ${v.policy}: ${v.message}${src}`);
    }
    const siteWord = report.sites.length === 1 ? "site" : "sites";
    lines.push(
        `${report.resources} objects (${report.workloads} workload${report.workloads === 1 ? "" : "s"}) on ${report.sites.length} ${siteWord}: ` +
            `${report.mandatory} mandatory and ${report.advisory} advisory violations` +
            (report.passed ? " - pass" : " - FAIL"),
    );
    return lines.join("\n");
}

function isPreviousReport(old: Buffer): boolean {
    try {
        const r = JSON.parse(old.toString("utf8"));
        return typeof r === "object" && r !== null && typeof r.passed === "boolean" && Array.isArray(r.violations);
    } catch {
        return false;
    }
}

export function main(argv: string[]): number {
    try {
        const opts = parseArgs(argv);
        if (opts === "help") {
            console.log(USAGE);
            return 0;
        }
        const config = packConfig(opts);
        if (opts.printPackConfig) {
            validatePackConfig(config);
            console.log(JSON.stringify(config ?? {}, null, 2));
            return 0;
        }
        const skipped: string[] = [];
        const objects = loadObjects(opts.paths, opts.site, skipped);
        for (const s of skipped) console.error(`policy:check: skipped, not a Kubernetes object: ${s}`);
        if (!objects.length) throw new UsageError(`no Kubernetes objects found in ${opts.paths.join(", ")}`);
        const report = evaluateObjects(objects, { ...(config ? { config } : {}), ...(opts.siteHosts ? { siteHosts: opts.siteHosts } : {}) });
        if (opts.json === "-") console.log(JSON.stringify(report, null, 2));
        else {
            console.log(formatReport(report));
            // Replaces only a previous report; any other file at that path is refused.
            if (opts.json) writeOutputFile(opts.json, JSON.stringify(report, null, 2) + "\n", isPreviousReport, "policy:check report");
        }
        return report.passed ? 0 : 1;
    } catch (e) {
        if (e instanceof UsageError || e instanceof PolicyConfigError || e instanceof OutputPathError) {
            console.error(`policy:check: ${e.message}`);
            if (e instanceof UsageError && /no PATH|unknown option|needs a value/.test(e.message)) console.error("run with --help for usage");
            return 2;
        }
        throw e;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
