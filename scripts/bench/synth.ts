/**
 * npm run bench:synth [-- --sizes 10,100,500] [--seed N] [--keep]
 *
 * Estate scale: for each size, generates a stack (scripts/generate-stack.ts) into a temp dir, then in fresh child
 * processes (1) runs only the program under Pulumi mocks (what `pulumi up` spends in our code: registering every
 * resource) and (2) runs the real `scripts/synth.ts --config-file F --out D` (program, policy checks, writing
 * every host script and manifest). Prints, per size: resources registered, program time and its peak RSS, synth
 * time (as synth reports it) and the synth child's peak RSS (GNU time's %M when /usr/bin/time exists), time per
 * site and the marginal time per site between sizes (flat = linear growth), and the program's CPU time next to its
 * wall time (on a shared machine the wall time of a long run suffers most from other load). Also the size of resources.json, the inputs Pulumi would
 * keep in state, and from it a rough estimate of what a file backend writes with checkpoints on (it rewrites the
 * whole state after every step, so roughly resources x state size / 2 ... labelled as an estimate).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadStackFile } from "../../components/config/load";
import { generateStackYaml } from "../generate-stack";
import { runProgramUnderMocks } from "../synth/run";

const root = path.resolve(__dirname, "..", "..");
const TSX = path.join(root, "node_modules", ".bin", "tsx");
const GNU_TIME = "/usr/bin/time";
/** Node flags of the program, from Pulumi.yaml runtime.options.nodeargs (one place for the setting). */
const PROGRAM_NODE_ARGS: string[] = (() => {
    const m = /^\s+nodeargs:\s*(.+)$/m.exec(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
    return m ? m[1].trim().split(/\s+/) : [];
})();

interface Row {
    sites: number;
    hosts: number;
    resources: number;
    programMs: number;
    /** CPU time (user + system) of the program child: less sensitive than wall time to other load on the machine. */
    programCpuMs: number;
    programRssMiB: number;
    synthMs: number;
    wallMs: number;
    peakRssMiB: number | undefined;
    inputsMiB: number;
}

function parseArgs(argv: string[]) {
    let sizes = [10, 100, 500];
    let seed = 1;
    let keep = false;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--sizes") sizes = (argv[++i] ?? "").split(",").map(Number);
        else if (argv[i] === "--seed") seed = Number(argv[++i]);
        else if (argv[i] === "--keep") keep = true;
        else throw new Error(`unknown argument ${argv[i]}; usage: bench-synth [--sizes 10,100,500] [--seed N] [--keep]`);
    }
    if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 5000) || !Number.isInteger(seed)) throw new Error("--sizes takes whole numbers 1-5000, --seed a whole number");
    return { sizes, seed, keep };
}

function runChild(file: string, out: string): Promise<{ stdout: string; stderr: string; code: number | null; wallMs: number }> {
    // The same V8 setting `pulumi up` gets from Pulumi.yaml (runtime.options.nodeargs) and `npm run synth` uses.
    const synthArgs = [...PROGRAM_NODE_ARGS, path.join(root, "scripts", "synth.ts"), "--config-file", file, "--out", out];
    const useTime = fs.existsSync(GNU_TIME);
    const [cmd, args] = useTime ? [GNU_TIME, ["-f", "__bench_peak_rss_kb=%M", TSX, ...synthArgs]] : [TSX, synthArgs];
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ stdout, stderr, code, wallMs: Date.now() - started }));
    });
}

const PROGRAM_ONLY = "--program-only";

/** Child mode: the program under mocks only, timed in-process; prints one JSON line. */
async function programOnly(file: string) {
    const { config, stack } = loadStackFile(file);
    const started = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const resources = await runProgramUnderMocks(config, "bench", stack.sshPrivateKeyPlaintext ?? "[secret]");
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    console.log(`__bench_program=${JSON.stringify({ resources: resources.length, ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}`);
}

function runProgramChild(file: string): Promise<{ resources: number; ms: number; cpuMs: number; maxRssMiB: number }> {
    return new Promise((resolve, reject) => {
        const child = spawn(TSX, [...PROGRAM_NODE_ARGS, __filename, PROGRAM_ONLY, file], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => {
            const m = /__bench_program=(\{.*\})/.exec(stdout);
            if (code !== 0 || !m) reject(new Error(`program-only run failed (exit ${code}):\n${stderr.slice(-2000)}`));
            else resolve(JSON.parse(m[1]));
        });
    });
}

async function main() {
    if (process.argv[2] === PROGRAM_ONLY) return programOnly(process.argv[3]);
    const { sizes, seed, keep } = parseArgs(process.argv.slice(2));
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-"));
    const rows: Row[] = [];
    const cpu = os.cpus();
    console.log(`bench:synth on ${new Date().toISOString().slice(0, 10)}: ${cpu.length} cores (${cpu[0]?.model.trim() ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);
    console.log(`stacks: scripts/generate-stack.ts --seed ${seed}; each size in a fresh child process (${fs.existsSync(GNU_TIME) ? "peak RSS from GNU time" : "no /usr/bin/time: peak RSS not measured"})`);
    try {
        for (const sites of sizes) {
            const file = path.join(work, `generated-${sites}.yaml`);
            fs.writeFileSync(file, generateStackYaml({ sites, seed, region: "cn-bench" }));
            const out = path.join(work, `synth-${sites}`);
            process.stdout.write(`  ${sites} sites: program ... `);
            const program = await runProgramChild(file);
            process.stdout.write(`${(program.ms / 1000).toFixed(1)} s; synth ... `);
            const r = await runChild(file, out);
            const m = /synth: \S+: (\d+) resources, (\d+) sites, (\d+) host scripts.*\((\d+) ms\)/.exec(r.stdout);
            if (r.code !== 0 || !m) throw new Error(`synth of ${sites} sites failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
            const rss = /__bench_peak_rss_kb=(\d+)/.exec(r.stderr);
            const hosts = (fs.readFileSync(file, "utf8").match(/role: (server|agent)/g) ?? []).length;
            const row: Row = {
                sites,
                hosts,
                resources: Number(m[1]),
                programMs: program.ms,
                programCpuMs: program.cpuMs,
                programRssMiB: program.maxRssMiB,
                synthMs: Number(m[4]),
                wallMs: r.wallMs,
                peakRssMiB: rss ? Number(rss[1]) / 1024 : undefined,
                inputsMiB: fs.statSync(path.join(out, "resources.json")).size / 2 ** 20,
            };
            rows.push(row);
            console.log(`${row.resources} resources in ${(row.synthMs / 1000).toFixed(1)} s`);
            if (!keep) fs.rmSync(out, { recursive: true, force: true });
        }
    } finally {
        if (!keep) fs.rmSync(work, { recursive: true, force: true });
        else console.log(`kept stacks and synth output in ${work}`);
    }

    const fmt = (n: number, d = 1) => n.toFixed(d);
    console.log("");
    console.log(
        "| sites | hosts | resources | program s | program CPU s | program ms/site | marginal ms/site | program peak RSS MiB | synth s | synth ms/site | synth peak RSS MiB | resources.json MiB | est. file-backend checkpoint writes GiB |",
    );
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.forEach((r, i) => {
        const prev = rows[i - 1];
        const marginal = prev ? (r.programMs - prev.programMs) / (r.sites - prev.sites) : undefined;
        // State keeps inputs and outputs (about twice resources.json); each of the R steps rewrites it.
        const checkpointGiB = (r.resources * (2 * r.inputsMiB)) / 2 / 1024;
        console.log(
            `| ${r.sites} | ${r.hosts} | ${r.resources} | ${fmt(r.programMs / 1000)} | ${fmt(r.programCpuMs / 1000)} | ${fmt(r.programMs / r.sites, 0)} | ${marginal === undefined ? "-" : fmt(marginal, 0)} | ${fmt(r.programRssMiB, 0)} | ${fmt(r.synthMs / 1000)} | ${fmt(r.synthMs / r.sites, 0)} | ${r.peakRssMiB === undefined ? "n/a" : fmt(r.peakRssMiB, 0)} | ${fmt(r.inputsMiB)} | ${fmt(checkpointGiB)} |`,
        );
    });
    if (rows.length >= 2) {
        // The two largest sizes: the smallest one is dominated by fixed start-up cost (module loading, the first
        // closure serialization), which would make growth look better than it is.
        const a = rows[rows.length - 2];
        const b = rows[rows.length - 1];
        const growth = (x: Row, y: Row, k: "programMs" | "synthMs") => (y[k] / y.sites / (x[k] / x.sites)).toFixed(2);
        console.log(`\nper-site time ${a.sites} -> ${b.sites} sites: program x${growth(a, b, "programMs")}, synth x${growth(a, b, "synthMs")} (1.0 = linear)`);
        const ratio = (k: "programMs" | "programCpuMs" | "synthMs") => (b[k] / a[k]).toFixed(2);
        console.log(
            `${b.sites} sites cost ${ratio("programMs")}x the program time of ${a.sites} sites (CPU time ${ratio("programCpuMs")}x, synth ${ratio("synthMs")}x; ` +
                `${(b.sites / a.sites).toFixed(1)}x the sites)`,
        );
    }
}

main().catch((e) => {
    console.error(`bench:synth: ${(e as Error).message}`);
    process.exit(1);
});
