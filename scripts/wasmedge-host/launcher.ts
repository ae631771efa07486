// How to start the host CLI as its own process with the least start-up time: plain `node` on a
// JavaScript bundle of cli.ts (+ worker.js beside it), built once with esbuild (which tsx ships
// with) into a cache directory named by the sources' hash. Falls back to tsx when esbuild is missing.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SOURCES = ["cli.ts", "host.ts", "worker.ts", "layout.ts", "errno.ts", "wasm-imports.ts"];

let cached: { command: string; args: string[] } | null = null;

/**
 * Command and leading arguments that run the CLI: spawn(command, [...args, "--dir", ..., "m.wasm"]).
 * Equivalent to `npx tsx scripts/wasmedge-host/cli.ts`, minus ~200 ms of tsx start-up.
 */
export function hostCommand(): { command: string; args: string[] } {
  if (cached) return cached;
  try {
    const hash = crypto.createHash("sha256");
    for (const f of SOURCES) hash.update(f).update(fs.readFileSync(path.join(__dirname, f)));
    const dir = path.join(os.tmpdir(), `wasmedge-host-cli-${hash.digest("hex").slice(0, 16)}`);
    const cli = path.join(dir, "cli.js");
    if (!fs.existsSync(cli)) {
      const esbuild = require("esbuild") as { buildSync(o: Record<string, unknown>): unknown };
      const tmp = `${dir}.${process.pid}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      for (const entry of ["cli", "worker"]) {
        esbuild.buildSync({
          entryPoints: [path.join(__dirname, `${entry}.ts`)],
          bundle: true,
          platform: "node",
          format: "cjs",
          target: "node20",
          packages: "external",
          outfile: path.join(tmp, `${entry}.js`),
          logLevel: "silent",
        });
      }
      try {
        fs.renameSync(tmp, dir);
      } catch {
        // another process built the same bundle first
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    }
    return (cached = { command: process.execPath, args: [cli] });
  } catch {
    return (cached = { command: process.execPath, args: ["--require", require.resolve("tsx/cjs"), path.join(__dirname, "cli.ts")] });
  }
}
