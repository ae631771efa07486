// Builds the tracking service: AssemblyScript -> one optimized WASI module -> the same module
// AOT-compiled by the real WasmEdge 0.14.1 (a universal wasm: the module plus native x86-64 code for
// the pinned baseline CPU, see wasm-app/aot/wasmedge.ts) -> the OCI image archive (FROM scratch,
// /app.wasm = the AOT module, /config.json, ENTRYPOINT ["/app.wasm"], platform wasi/wasm) with the
// deterministic builder in scripts/build/oci.ts. Every output is byte-identical from run to run
// (test/wasm-app/build.test.ts checks that a rebuild reproduces the committed wasm-app/dist).
//
//   npm run build:wasm              -> wasm-app/dist/logistics-system.{wasm,aot.wasm,oci.tar}
//   npx tsx scripts/build/wasm.ts --out DIR
// Needs WasmEdge 0.14.1 with its compiler (WASMEDGE_BIN or PATH) and a C compiler (cc).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { buildOci } from "./oci";
import { aotCompile, findWasmEdge, HOW_TO_GET_WASMEDGE } from "../../wasm-app/aot/wasmedge";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const APP_DIR = path.join(REPO_ROOT, "wasm-app");
export const DEFAULT_OUT_DIR = path.join(APP_DIR, "dist");
export const WASM_NAME = "logistics-system.wasm";
/** the AOT-compiled universal wasm: what the image ships as /app.wasm */
export const AOT_WASM_NAME = "logistics-system.aot.wasm";
/** The image must stay small enough to copy to 500 sites over thin links. */
export const AOT_SIZE_LIMIT = 2 * 1024 * 1024;
export const OCI_NAME = "logistics-system.oci.tar";
/** Size budget from the issue; the build fails if the module grows past it. */
export const WASM_SIZE_LIMIT = 128 * 1024;

export interface BuildResult {
  wasmPath: string;
  aotPath: string;
  aotBytes: number;
  ociPath: string;
  wasmBytes: number;
  wasmSha256: string;
  ociSha256: string;
  /** digest of the image manifest (what a rollout pins) */
  manifestDigest: string;
}

/** Compiles wasm-app/src/main.ts with asc (release target of wasm-app/asconfig.json). */
export function compileWasm(outFile: string): void {
  const ascBin = require.resolve("assemblyscript/bin/asc.js");
  const r = spawnSync(process.execPath, [
    // asc resolves the wasi-shim "lib" of the extended config correctly only from a relative config path.
    ascBin, "--config", path.join("wasm-app", "asconfig.json"), "--target", "release", "--outFile", outFile,
  ], { cwd: REPO_ROOT, encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`asc failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  }
  const size = statSync(outFile).size;
  if (size > WASM_SIZE_LIMIT) {
    throw new Error(`${path.basename(outFile)} is ${size} bytes, over the ${WASM_SIZE_LIMIT}-byte budget`);
  }
}

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

export async function buildWasm(outDir: string = DEFAULT_OUT_DIR): Promise<BuildResult> {
  mkdirSync(outDir, { recursive: true });
  const wasmPath = path.join(outDir, WASM_NAME);
  const aotPath = path.join(outDir, AOT_WASM_NAME);
  const ociPath = path.join(outDir, OCI_NAME);
  const wasmedge = findWasmEdge();
  if (!wasmedge.ok) throw new Error(`${wasmedge.reason}; the image ships AOT-compiled code, so ${HOW_TO_GET_WASMEDGE}`);
  compileWasm(wasmPath);
  aotCompile(wasmedge.runtime.bin, wasmPath, aotPath);
  const aotBytes = statSync(aotPath).size;
  if (aotBytes > AOT_SIZE_LIMIT) throw new Error(`${AOT_WASM_NAME} is ${aotBytes} bytes, over the ${AOT_SIZE_LIMIT}-byte budget`);
  const manifestDigest = await writeImage(aotPath, ociPath);
  return {
    wasmPath, aotPath, aotBytes, ociPath, wasmBytes: statSync(wasmPath).size, wasmSha256: sha256(wasmPath), ociSha256: sha256(ociPath), manifestDigest,
  };
}

async function writeImage(wasmPath: string, ociPath: string): Promise<string> {
  const r = await buildOci({ wasmPath, configPath: path.join(APP_DIR, "config.json"), outPath: ociPath });
  return r.manifestDigest;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf("--out");
  const outDir = i >= 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : DEFAULT_OUT_DIR;
  const r = await buildWasm(outDir);
  console.log(`${path.relative(process.cwd(), r.wasmPath)}  ${r.wasmBytes} bytes  sha256:${r.wasmSha256}`);
  console.log(`${path.relative(process.cwd(), r.aotPath)}  ${r.aotBytes} bytes  sha256:${sha256(r.aotPath)}  (AOT, /app.wasm)`);
  console.log(`${path.relative(process.cwd(), r.ociPath)}  ${statSync(r.ociPath).size} bytes  sha256:${r.ociSha256}`);
  console.log(`image manifest digest ${r.manifestDigest}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`build:wasm failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
