// The CLI as a separate process, the way durability tests and the benchmark run the module.
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildAs } from "./fixtures/build";
import { hostCommand } from "../../../scripts/wasmedge-host/launcher";

const repo = path.resolve(__dirname, "../../..");
const cli = path.join(repo, "scripts/wasmedge-host/cli.ts");
const nodeArgs = ["--require", require.resolve("tsx/cjs"), cli];

describe("wasmedge-host CLI", () => {
  it("maps --dir and --env like wasmedge and exits with the module's code", async () => {
    const wasm = await buildAs("env-args");
    const r = spawnSync(process.execPath, [...nodeArgs, "run", "--env", "EXIT_CODE=3", "--env", "X=1", wasm, "a1"], {
      encoding: "utf8",
      env: { ...process.env, SHOULD_NOT_LEAK: "1" },
    });
    expect(r.status).toBe(3);
    expect(r.stdout).toContain(`ARG 0 ${path.basename(wasm)}\n`);
    expect(r.stdout).toContain("ARG 1 a1");
    expect(r.stdout).toContain("ENV X=1");
    expect(r.stdout).not.toContain("SHOULD_NOT_LEAK");
  });

  it("gives a one-line usage error (exit 1 like wasmedge, no stack trace) for bad arguments", () => {
    for (const args of [["--bogus", "x.wasm"], ["--env", "NOEQUALS", "x.wasm"], [], ["/no/such/file.wasm"]]) {
      const r = spawnSync(process.execPath, [...nodeArgs, ...args], { encoding: "utf8" });
      expect(r.status, args.join(" ")).toBe(1);
      expect(r.stderr).toMatch(/^wasmedge-host: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("runs a file-writing module with --dir and the files appear on the host", async () => {
    const wasm = await buildAs("files");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wasmedge-host-cli-"));
    const r = spawnSync(process.execPath, [...nodeArgs, "--dir", `/data:${dir}`, wasm], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("READ line1|line2|line3|");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("dies at once on SIGKILL: connections drop and the port is free (bundled CLI from hostCommand)", async () => {
    const wasm = await buildAs("echo-server");
    const host = hostCommand();
    expect(host.args[0]).toMatch(/cli\.js$/);
    const child = spawn(host.command, [...host.args, "--env", "HTTP_PORT=0", wasm], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /LISTENING (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on("exit", () => reject(new Error(`exited early: ${out}`)));
    });
    const client = net.connect({ port, host: "127.0.0.1" });
    await new Promise((r) => client.once("connect", r));
    client.write("x");
    await new Promise((r) => client.once("data", r));
    const closed = new Promise<number>((r) => {
      const t0 = Date.now();
      client.on("close", () => r(Date.now() - t0));
      client.on("error", () => undefined);
    });
    child.kill("SIGKILL");
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.on("exit", (c, s) => r([c, s])));
    expect(code).toBeNull();
    expect(signal).toBe("SIGKILL");
    expect(await closed).toBeLessThan(1000);
    const refused = await new Promise<string>((resolve) => {
      const c = net.connect({ port, host: "127.0.0.1" }, () => resolve("connected"));
      c.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});
