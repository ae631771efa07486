// The image's native code runs on the oldest CPU the estate supports. The AOT section of /app.wasm is
// compiled for x86-64-v2 (wasm-app/aot/wasmedge.ts); here the real wasmedge runs it on an emulated CPU
// that has exactly those features and nothing newer (QEMU's Nehalem model: no AVX, no AVX-512). The same
// module compiled the way `wasmedge compile` does by default (for the build machine's CPU) is the control:
// on a build machine with AVX2 or AVX-512 it dies with SIGILL there, which also proves that WasmEdge runs
// the native code by default rather than interpreting.
import { afterAll, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as path from "node:path";
import { AOT_BASELINE_QEMU_CPU } from "../../wasm-app/aot/wasmedge";
import { describeOnWasmEdge, WASMEDGE_BIN } from "../support/wasmedge";
import { IN_CI } from "../support/root";
import { AOT_WASM_PATH, WASM_PATH, freePort, get, sleep, tempDir, wasmedgeArgs } from "./harness";

const work = tempDir("aot-cpu-");
afterAll(() => rmSync(work, { recursive: true, force: true }));

const qemu = spawnSync("sh", ["-c", "command -v qemu-x86_64"], { encoding: "utf8" }).stdout.trim();
if (!qemu) {
    if (IN_CI) throw new Error("qemu-x86_64 (Debian package qemu-user) is required to check the AOT code's CPU baseline");
    console.warn("\n*** SKIPPING the AOT CPU-baseline test: install qemu-user (qemu-x86_64) to run it. ***\n");
}
const hostFlags = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].trim().split(/\s+/) ?? [];

/** Runs `module` with wasmedge under QEMU's baseline CPU; resolves with "served" or the exit signal. */
async function runOnBaselineCpu(module: string): Promise<string> {
    const port = await freePort();
    const args = wasmedgeArgs({ SITE_ID: "aot", HTTP_PORT: String(port), HTTP_BIND: "127.0.0.1", MQTT_PORT: "1" }, { dataDir: mkdtempSync(path.join(work, "data-")) });
    args[args.length - 1] = module;
    const child = spawn(qemu, ["-cpu", AOT_BASELINE_QEMU_CPU, WASMEDGE_BIN!, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => { stderr += d; });
    let exit: string | undefined;
    child.once("exit", (code, sig) => { exit = sig ?? `exit ${code}`; });
    const end = Date.now() + 90_000;
    try {
        while (Date.now() < end) {
            if (exit) return `${exit}: ${stderr.slice(-300)}`;
            const r = await get(port, "/healthz").catch(() => null);
            if (r?.status === 200) return "served";
            await sleep(100);
        }
        return `no answer in 90 s: ${stderr.slice(-300)}`;
    } finally {
        child.kill("SIGKILL");
    }
}

(qemu ? describeOnWasmEdge : describeOnWasmEdge.skip)(`AOT code on the baseline CPU (${AOT_BASELINE_QEMU_CPU}, emulated)`, () => {
    it("serves HTTP from the image's /app.wasm native code", async () => {
        expect(await runOnBaselineCpu(AOT_WASM_PATH)).toBe("served");
    }, 120_000);

    it("the control: the module compiled for this machine's CPU cannot run there", async (ctx) => {
        if (!hostFlags.includes("avx2")) ctx.skip(); // this build machine is no newer than the baseline
        const hostTuned = path.join(work, "host-tuned.wasm");
        const c = spawnSync(WASMEDGE_BIN!, ["compile", WASM_PATH, hostTuned], { encoding: "utf8" });
        expect(c.status, c.stderr).toBe(0);
        expect(await runOnBaselineCpu(hostTuned)).toMatch(/^SIGILL/);
    }, 180_000);
});
