/**
 * Generates a large, valid region stack file for scale tests and benchmarks:
 *
 *   tsx scripts/generate-stack.ts --sites N [--seed S] [--region R] [--out FILE]
 *
 * Sites get Chinese city + district names, upgrade waves (about 2% canaries in wave 0, 10% in wave 1, 30% in
 * wave 2, the rest in wave 3) and a hardware mix: 10% HA (3 servers, up to 2 agents), 50% one server with 1-2
 * agents, 40% a single server. Same arguments, same bytes: a seeded PRNG drives every choice. Without --out the
 * YAML goes to stdout. Generated files are not committed (scripts/bench/synth.ts writes them to a temp dir).
 * Exit codes: 0 written, 2 usage error.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { OutputPathError, writeOutputFile } from "./lib/safe-output";

const CITIES: [string, string][] = [
    ["sh", "上海"], ["bj", "北京"], ["gz", "广州"], ["sz", "深圳"], ["hz", "杭州"], ["nj", "南京"], ["su", "苏州"], ["cd", "成都"],
    ["cq", "重庆"], ["wh", "武汉"], ["xa", "西安"], ["tj", "天津"], ["cs", "长沙"], ["zz", "郑州"], ["jn", "济南"], ["qd", "青岛"],
    ["nb", "宁波"], ["xm", "厦门"], ["fz", "福州"], ["hf", "合肥"], ["km", "昆明"], ["nn", "南宁"], ["gy", "贵阳"], ["nc", "南昌"],
    ["sy", "沈阳"], ["dl", "大连"], ["cc", "长春"], ["hrb", "哈尔滨"], ["sjz", "石家庄"], ["ty", "太原"], ["hhht", "呼和浩特"], ["lz", "兰州"],
    ["xn", "西宁"], ["yc", "银川"], ["wlmq", "乌鲁木齐"], ["hk", "海口"], ["wx", "无锡"], ["cz", "常州"], ["wz", "温州"], ["fs", "佛山"],
    ["dg", "东莞"], ["zh", "珠海"], ["yt", "烟台"], ["xz", "徐州"], ["ly", "洛阳"], ["ts", "唐山"], ["bt", "包头"], ["ls", "拉萨"],
];
const DISTRICTS: [string, string][] = [
    ["dong", "东区"], ["xi", "西区"], ["nan", "南区"], ["bei", "北区"], ["zhong", "中心"], ["gang", "港区"], ["kfq", "开发区"],
    ["xinqu", "新区"], ["gaoxin", "高新区"], ["binhai", "滨海"], ["konggang", "空港"], ["wuliu", "物流园"],
];

/** mulberry32: tiny, fast, good enough for test data; same seed -> same sequence on every platform. */
function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export interface GenerateOptions {
    sites: number;
    seed: number;
    region: string;
}

export interface GeneratedHost {
    id: string;
    address: string;
    role: "server" | "agent";
    port?: number;
    user?: string;
    hostKey?: string;
}

export interface GeneratedSite {
    id: string;
    city: string;
    wave: number;
    hosts: GeneratedHost[];
    trackingReplicas?: number;
}

/** The site list: ids unique, addresses unique, deterministic for (sites, seed). */
/**
 * A deterministic, well-formed ed25519 host key line for a generated host (test data: no machine holds the
 * private half). Generated stacks pin every host, as a real stack must.
 */
export function generatedHostKey(seed: number, siteId: string, hostId: string): string {
    const type = Buffer.from("ssh-ed25519");
    const key = createHash("sha256").update(`${seed}/${siteId}/${hostId}`).digest();
    const blob = Buffer.alloc(4 + type.length + 4 + key.length);
    blob.writeUInt32BE(type.length, 0);
    type.copy(blob, 4);
    blob.writeUInt32BE(key.length, 4 + type.length);
    key.copy(blob, 8 + type.length);
    return `ssh-ed25519 ${blob.toString("base64")}`;
}

export function generateSites(opts: GenerateOptions): GeneratedSite[] {
    const rand = prng(opts.seed);
    const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
    // Every city x district pair in a seeded order; a numeric suffix only once all pairs are used.
    const pairs = CITIES.flatMap((c) => DISTRICTS.map((d) => [c, d] as const));
    for (let i = pairs.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
    }
    const sites: GeneratedSite[] = [];
    for (let i = 0; i < opts.sites; i++) {
        const [[cityId, cityName], [districtId, districtName]] = pairs[i % pairs.length];
        const round = Math.floor(i / pairs.length);
        const id = `${cityId}-${districtId}${round ? `-${round + 1}` : ""}`;
        const r = rand();
        const wave = r < 0.02 ? 0 : r < 0.12 ? 1 : r < 0.42 ? 2 : 3;
        const mix = rand();
        const servers = mix < 0.1 ? 3 : 1;
        const agents = mix < 0.1 ? Math.floor(rand() * 3) : mix < 0.6 ? 1 + Math.floor(rand() * 2) : 0;
        // 10.<64+i/250>.<i%250>.<11..>: unique per site, one /24 per site.
        const net = `10.${64 + Math.floor(i / 250)}.${i % 250}`;
        const custom = rand() < 0.05;
        const hosts: GeneratedHost[] = [];
        for (let s = 0; s < servers; s++) hosts.push({ id: `srv-${"abc"[s]}`, address: `${net}.${11 + s}`, role: "server", ...(custom ? { port: 2222, user: "edgeops" } : {}) });
        for (let a = 0; a < agents; a++) hosts.push({ id: `wrk-${"ab"[a]}`, address: `${net}.${21 + a}`, role: "agent", ...(custom ? { port: 2222, user: "edgeops" } : {}) });
        for (const h of hosts) h.hostKey = generatedHostKey(opts.seed, id, h.id);
        sites.push({ id, city: `${cityName}${districtName}${round ? `${round + 1}` : ""}`, wave, hosts, ...(servers === 3 && pick([true, false]) ? { trackingReplicas: 2 } : {}) });
    }
    // At least one canary, and the hub (first canary) is an HA site when there is one in wave 0.
    if (sites.length && !sites.some((s) => s.wave === 0)) sites[0].wave = 0;
    // The hub runs the regional Prometheus and Grafana too: it needs a second host to fit the 4 GiB budget.
    const hub = hubSite(sites);
    if (hub && hub.hosts.length === 1) {
        const [srv] = hub.hosts;
        const agent: GeneratedHost = { ...srv, id: "wrk-a", address: srv.address.replace(/\.\d+$/, ".21"), role: "agent" };
        agent.hostKey = generatedHostKey(opts.seed, hub.id, agent.id);
        hub.hosts.push(agent);
    }
    return sites;
}

/** The monitoring hub of a generated estate: the first HA canary, else the first canary. */
export function hubSite(sites: GeneratedSite[]): GeneratedSite | undefined {
    return sites.find((s) => s.wave === 0 && s.hosts.filter((h) => h.role === "server").length === 3) ?? sites.find((s) => s.wave === 0);
}

/** A Pulumi.<stack>.yaml text with a plaintext test key (synth only; never a real key). */
export function generateStackYaml(opts: GenerateOptions): string {
    const sites = generateSites(opts);
    const hub = hubSite(sites)!;
    const doc = {
        config: {
            "edge-estate:region": opts.region,
            "edge-estate:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nZ2VuZXJhdGVkLXN0YWNrLXRlc3Qta2V5LW5vdC1hLXJlYWwta2V5\n-----END OPENSSH PRIVATE KEY-----\n",
            "edge-estate:monitoring": { hubSite: hub.id },
            "edge-estate:artifacts": { mode: "download", arch: "amd64" },
            "edge-estate:sites": sites,
        },
    };
    const header = `${GENERATED_HEADER} --sites ${opts.sites} --seed ${opts.seed} --region ${opts.region}. Test data: do not deploy.\n`;
    return header + yaml.dump(doc, { lineWidth: -1, flowLevel: 5, sortKeys: false });
}

class UsageError extends Error {}
export const GENERATED_HEADER = "# Generated by scripts/generate-stack.ts";

function parseArgs(argv: string[]): GenerateOptions & { out?: string } {
    const opts: GenerateOptions & { out?: string } = { sites: 0, seed: 1, region: "cn-bench" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        if (a === "--sites" || a === "--seed") {
            if (!/^\d+$/.test(v)) throw new UsageError(`${a} must be a whole number, got "${v}"`);
            opts[a === "--sites" ? "sites" : "seed"] = Number(v);
        } else if (a === "--region") {
            if (!/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(v)) throw new UsageError(`--region "${v}" is not a DNS label`);
            opts.region = v;
        } else if (a === "--out") opts.out = v;
        else throw new UsageError(`unknown argument ${a}`);
    }
    if (opts.sites < 1 || opts.sites > 5000) throw new UsageError("--sites must be from 1 to 5000");
    return opts;
}

if (require.main === module) {
    try {
        const opts = parseArgs(process.argv.slice(2));
        const text = generateStackYaml(opts);
        if (opts.out) {
            // Overwrites only a file this script generated before (its header); a real stack file is never replaced.
            writeOutputFile(opts.out, text, (old) => old.toString("utf8", 0, 200).startsWith(GENERATED_HEADER), "generated stack file");
            console.error(`generate-stack: ${opts.sites} sites -> ${opts.out}`);
        } else process.stdout.write(text);
    } catch (e) {
        if (e instanceof OutputPathError) console.error(`generate-stack: ${e.message}`);
        else if (e instanceof UsageError) console.error(`generate-stack: ${e.message}\nusage: tsx scripts/generate-stack.ts --sites N [--seed S] [--region R] [--out FILE]`);
        else throw e;
        process.exitCode = 2;
    }
}
