/** Lays the recorded resources out on disk: resources.json, per-host step scripts, per-site manifests. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { scriptFromCommandLine } from "../../components/host/remote-script";
import { parseStepName } from "../../components/naming";
import type { RecordedResource } from "./run";
import { redactSecrets } from "./secrets";

const SITE_TYPE = "edge-estate:index:Site";

export interface SynthSummary {
    resources: number;
    hostScripts: number;
    manifests: number;
    sites: string[];
}

function siteOf(r: RecordedResource, byUrn: Map<string, RecordedResource>): string | undefined {
    for (let cur: RecordedResource | undefined = r; cur; cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
        if (cur.type === SITE_TYPE) return cur.name;
    }
    return undefined;
}

function manifestName(index: number, obj: Record<string, any>, fallback: string): string {
    const md = obj.metadata ?? {};
    const parts = [String(index).padStart(3, "0"), String(obj.kind ?? "object").toLowerCase(), md.namespace, md.name ?? fallback].filter(Boolean);
    return `${parts.join("-").replace(/[^A-Za-z0-9._-]/g, "_")}.yaml`;
}

export function writeSynthOutput(outDir: string, resources: RecordedResource[]): SynthSummary {
    // outDir is a fresh folder (scripts/lib/safe-output.ts); nothing here deletes anything.
    fs.mkdirSync(outDir, { recursive: true });
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const redacted = resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent ?? null,
        provider: r.provider ?? null,
        inputs: redactSecrets(r.inputs),
    }));
    fs.writeFileSync(path.join(outDir, "resources.json"), JSON.stringify(redacted, null, 2) + "\n");

    let hostScripts = 0;
    let manifests = 0;
    const manifestIndex = new Map<string, number>();
    const sites = new Set<string>();
    redacted.forEach((r, index) => {
        const site = siteOf(resources[index], byUrn);
        if (site) sites.add(site);
        if (r.type === "command:remote:Command") {
            const parsed = parseStepName(r.name);
            const create = (r.inputs as Record<string, unknown>).create;
            if (!parsed || typeof create !== "string") throw new Error(`remote command ${r.name} does not follow <site>.<host>.<NN>-<step>`);
            const { site: siteId, host: hostId, order, step } = parsed;
            const script = scriptFromCommandLine(create);
            if (script === undefined) throw new Error(`remote command ${r.name} is not a bash -c script`);
            const dir = path.join(outDir, "sites", siteId, "hosts", hostId);
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(path.join(dir, `${order}-${step}.sh`), script.endsWith("\n") ? script : `${script}\n`, { mode: 0o644 });
            hostScripts++;
            return;
        }
        const isKubeObject = r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm.sh") && !r.type.startsWith("kubernetes:yaml");
        const isChart = r.type.startsWith("kubernetes:helm.sh");
        if ((isKubeObject || isChart) && site) {
            const inputs = r.inputs as Record<string, any>;
            const dir = path.join(outDir, "sites", site, isChart ? "charts" : "manifests");
            fs.mkdirSync(dir, { recursive: true });
            const i = (manifestIndex.get(dir) ?? 0) + 1;
            manifestIndex.set(dir, i);
            const obj = isChart ? { chart: r.name, type: r.type, ...inputs } : inputs;
            const file = isChart ? `${r.name}.yaml` : manifestName(i, obj, r.name);
            fs.writeFileSync(path.join(dir, file), yaml.dump(obj, { lineWidth: -1, noRefs: true, sortKeys: false }));
            if (!isChart) manifests++;
        }
    });
    return { resources: resources.length, hostScripts, manifests, sites: [...sites].sort() };
}
