// The real WasmEdge 0.14.1 for the build and the tests: where it is, and how the image's module is
// AOT-compiled with it.
//
// Lookup order: $WASMEDGE_BIN, then `wasmedge` on PATH. Whatever is found must report version 0.14.1,
// the runtime runwasi's containerd-shim-wasmedge v0.6.0 embeds. Get it with WasmEdge's installer
// (`install.sh -v 0.14.1`) or by building the pinned sources (`.ci/run` does the latter into a cache).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export const WASMEDGE_VERSION = "0.14.1";

export const HOW_TO_GET_WASMEDGE =
    `install WasmEdge ${WASMEDGE_VERSION} (WasmEdge's install.sh with -v ${WASMEDGE_VERSION}, or build the pinned ` +
    `sources with the vendor build.sh) and set WASMEDGE_BIN to its bin/wasmedge`;

export interface WasmEdgeFound {
    bin: string;
    version: string;
}

export type WasmEdgeLookup = { ok: true; runtime: WasmEdgeFound } | { ok: false; reason: string };

function versionOf(bin: string): string | undefined {
    const r = spawnSync(bin, ["--version"], { encoding: "utf8", timeout: 10_000 });
    if (r.error || r.status !== 0) return undefined;
    return /version (\d+\.\d+\.\d+)/.exec(r.stdout)?.[1];
}

function onPath(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const p = path.join(dir, name);
        if (existsSync(p) && statSync(p).isFile()) return p;
    }
    return undefined;
}

/** Finds WasmEdge 0.14.1 through `envVar` (default WASMEDGE_BIN), then PATH. */
export function findWasmEdge(envVar = "WASMEDGE_BIN"): WasmEdgeLookup {
    const fromEnv = process.env[envVar];
    const bin = fromEnv || onPath("wasmedge");
    if (!bin) return { ok: false, reason: `no WasmEdge: ${envVar} is not set and there is no wasmedge on PATH` };
    const version = versionOf(bin);
    if (!version) return { ok: false, reason: `${bin} (from ${fromEnv ? envVar : "PATH"}) does not run or print a version` };
    if (version !== WASMEDGE_VERSION) {
        return { ok: false, reason: `${bin} is WasmEdge ${version}, but the sites run ${WASMEDGE_VERSION}` };
    }
    return { ok: true, runtime: { bin, version } };
}

/**
 * The CPU the image's native code targets: x86-64-v2 (SSE4.2, POPCNT, CMPXCHG16B). Every x86-64 edge
 * CPU since about 2009 has it, including the Atom/Celeron class of small hosts; AVX and AVX-512 are
 * deliberately left out. test/wasm-app/aot.test.ts runs the image's module on an emulated CPU with
 * exactly these features.
 */
export const AOT_CPU_NAME = "x86-64-v2";
export const AOT_CPU_FEATURES = [
    "64bit", "cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "sahf", "cx16", "popcnt", "sse3", "ssse3", "sse4.1", "sse4.2",
].map((f) => `+${f}`).join(",");

/** QEMU's name for a CPU model with exactly the baseline's features (used by the tests). */
export const AOT_BASELINE_QEMU_CPU = "Nehalem";

const CPU_PIN_SOURCE = path.join(__dirname, "cpu-baseline.c");

/** Builds the LD_PRELOAD library that pins the compiler's target CPU (with the system C compiler). */
function buildCpuPin(dir: string): string {
    const out = path.join(dir, "cpu-baseline.so");
    const cc = process.env.CC || "cc";
    const r = spawnSync(cc, ["-shared", "-fPIC", "-O2", "-o", out, CPU_PIN_SOURCE], { encoding: "utf8" });
    if (r.error || r.status !== 0) {
        throw new Error(`cannot build the AOT CPU pin with ${cc}: ${r.error?.message ?? r.stderr.trim()}`);
    }
    return out;
}

/**
 * AOT-compiles `input` into a universal wasm at `output` (the original module plus a `wasmedge` section
 * of x86-64 native code for the pinned baseline CPU). Deterministic: the same input gives the same bytes.
 */
export function aotCompile(wasmedge: string, input: string, output: string): void {
    if (process.arch !== "x64") {
        throw new Error(`the image's native code is x86-64; build it on an x86-64 machine (this one is ${process.arch})`);
    }
    const work = mkdtempSync(path.join(tmpdir(), "aot-"));
    try {
        const pin = buildCpuPin(work);
        const env = {
            ...process.env,
            LD_PRELOAD: [pin, process.env.LD_PRELOAD].filter(Boolean).join(":"),
            AOT_CPU_NAME,
            AOT_CPU_FEATURES,
        };
        const r = spawnSync(wasmedge, ["compile", "--generic-binary", "--optimize", "2", input, output], {
            encoding: "utf8", env, timeout: 300_000,
        });
        if (r.error || r.status !== 0) {
            throw new Error(`wasmedge compile failed (exit ${r.status}): ${r.error?.message ?? ""}${r.stderr}`);
        }
        if (!hasAotSection(readFileSync(output))) throw new Error(`wasmedge compile wrote no native code section into ${output}`);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

/** Names of the custom sections of a wasm binary (for checking that a module carries native code). */
export function customSectionNames(bytes: Uint8Array): string[] {
    const names: string[] = [];
    let pos = 8;
    const leb = (): number => {
        let result = 0;
        let shift = 0;
        for (;;) {
            const b = bytes[pos++];
            result += (b & 0x7f) * 2 ** shift;
            if ((b & 0x80) === 0) return result;
            shift += 7;
        }
    };
    while (pos < bytes.length) {
        const id = bytes[pos++];
        const size = leb();
        const end = pos + size;
        if (id === 0) {
            const n = leb();
            names.push(Buffer.from(bytes.subarray(pos, pos + n)).toString("utf8"));
        }
        pos = end;
    }
    return names;
}

export function hasAotSection(bytes: Uint8Array): boolean {
    return customSectionNames(bytes).includes("wasmedge");
}
