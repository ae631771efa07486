// WASI preview1 basics under the host with real modules: args, environment, exit codes,
// files under a preopen (with escape attempts), poll_oneoff clocks, unknown imports.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAs, buildWat } from "./fixtures/build";
import { start } from "./helpers";
import { runWasm } from "../../../scripts/wasmedge-host/host";
import { readFunctionImports } from "../../../scripts/wasmedge-host/wasm-imports";

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "wasmedge-host-wasi-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("args and environment", () => {
  it("passes argv (argv[0] = the module's file name, as wasmedge does) and only the given environment", async () => {
    const wasm = await buildAs("env-args");
    const m = start({ wasmPath: wasm, args: ["one", "two words"], env: { SITE_ID: "s-1", EQ: "a=b" } });
    expect(await m.exited).toBe(0);
    const lines = m.stdout().trim().split("\n");
    expect(lines).toEqual([`ARG 0 ${path.basename(wasm)}`, "ARG 1 one", "ARG 2 two words", "ENV SITE_ID=s-1", "ENV EQ=a=b"]);
  });

  it("returns the proc_exit code", async () => {
    const wasm = await buildAs("env-args");
    const m = start({ wasmPath: wasm, env: { EXIT_CODE: "42" } });
    expect(await m.exited).toBe(42);
  });
});

describe("files under a preopen", () => {
  it("creates, appends, reads, renames and refuses escapes with EPERM", async () => {
    const wasm = await buildAs("files");
    const data = path.join(tmp, "data");
    const outside = path.join(tmp, "outside");
    fs.mkdirSync(data);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "secret.txt"), "secret");
    fs.symlinkSync(outside, path.join(data, "outside-link"));
    const m = start({ wasmPath: wasm, preopens: { "/data": data } });
    expect(await m.exited).toBe(0);
    const out = Object.fromEntries(
      m
        .stdout()
        .trim()
        .split("\n")
        .map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]),
    );
    expect(out.PREOPEN).toBe("0 /data");
    expect(out.NOPREOPEN).toBe("8");
    expect(out.CREATE).toBe("0");
    expect(out.FDSTAT).toBe("type=4 flags=1");
    expect(out.READ).toBe("line1|line2|line3|");
    expect(out.SEEK).toBe("6 line2|line3|");
    expect(out.TELL).toBe("18");
    expect(out.STAT).toBe("type=4 size=18");
    expect(out.RENAME).toBe("0");
    expect(out.PSTAT).toBe("0 size=18");
    expect(out.GONE).toBe("44");
    for (const k of ["ESC_DOTDOT", "ESC_ABS", "ESC_SUB", "ESC_LINK"]) expect(out[k], k).toBe("63");
    expect(out.INSIDE_DOTDOT).toBe("0");
    expect(out.MISSING).toBe("44");
    expect(out.READDIR).toBe(".,..,outside-link,sub");
    expect(out.UNLINK).toBe("0");
    expect(out.RMDIR).toBe("0");
    // nothing was created outside the preopen
    expect(fs.existsSync(path.join(tmp, "escape.txt"))).toBe(false);
    expect(fs.readdirSync(data)).toEqual(["outside-link"]);
  });

  it("writes land in the host directory", async () => {
    const wasm = await buildAs("files");
    const data = path.join(tmp, "data2");
    fs.mkdirSync(data);
    // make the module's cleanup fail so the file it wrote stays for inspection
    fs.mkdirSync(path.join(data, "sub"));
    fs.writeFileSync(path.join(data, "sub", "keep"), "x");
    const m = start({ wasmPath: wasm, preopens: { "/data": data } });
    expect(await m.exited).toBe(0);
    expect(m.stdout()).toContain("MKDIR 20");
    expect(m.stdout()).toContain("RMDIR 55");
    expect(fs.readdirSync(path.join(data, "sub")).sort()).toEqual(["keep"]);
  });
});

describe("poll_oneoff", () => {
  it("honours relative and absolute clock timeouts and reports only the expired clock", async () => {
    const wasm = await buildAs("poll");
    const m = start({ wasmPath: wasm });
    expect(await m.exited).toBe(0);
    const out = m.stdout();
    const ms = (tag: string) => Number(new RegExp(`${tag} (\\d+) `).exec(out)![1]);
    expect(ms("T1")).toBeGreaterThanOrEqual(50);
    expect(ms("T1")).toBeLessThan(500);
    expect(ms("T2")).toBeGreaterThanOrEqual(30);
    expect(ms("T3")).toBeGreaterThanOrEqual(19);
    expect(out).toContain("T1 ");
    expect(out).toMatch(/T1 \d+ ud=7,type=0,err=0;\n/);
    // the idle listener produced no event, only the clock fired
    expect(out).toMatch(/T2 \d+ ud=2,type=0,err=0;\n/);
    expect(out).toMatch(/T3 \d+ ud=3,type=0,err=0;\n/);
    expect(out).toContain("EMPTY 28");
  });
});

describe("linking", () => {
  it("links unknown imports as ENOSYS (52) functions instead of failing instantiation", async () => {
    const wasm = await buildWat("unknown-import");
    const m = start({ wasmPath: wasm });
    // the module exits with the value the unknown functions returned
    expect(await m.exited).toBe(52);
  });

  it("returns FAULT (21) for pointers outside linear memory instead of trapping", async () => {
    const m = start({ wasmPath: await buildWat("fault") });
    expect(await m.exited).toBe(21);
  });

  it("refuses non-function imports with a clear message (exit 1), after reading past them", async () => {
    const wasm = await buildWat("imported-memory");
    const imports = readFunctionImports(fs.readFileSync(wasm));
    expect(imports).toEqual([
      { module: "wasi_snapshot_preview1", name: "sock_accept", params: 3, results: 1, resultType: 0x7f },
    ]);
    const m = start({ wasmPath: wasm });
    expect(await m.exited).toBe(1);
    expect(m.stderr()).toContain("unsupported import env.memory (memory)");
  });

  it("rejects a file that is not a Wasm module with a clear message and exit code 1", async () => {
    const bogus = path.join(tmp, "bogus.wasm");
    fs.writeFileSync(bogus, "not wasm");
    const m = start({ wasmPath: bogus });
    expect(await m.exited).toBe(1);
    expect(m.stderr()).toContain("not a valid Wasm module");
  });

  it("throws a plain error for a missing module or preopen", () => {
    expect(() => runWasm({ wasmPath: path.join(tmp, "missing.wasm") })).toThrow(/no such module file/);
    expect(() => runWasm({ wasmPath: __filename, preopens: { "/data": path.join(tmp, "nope") } })).toThrow(
      /does not exist/,
    );
  });
});
