// The committed build artifacts: a rebuild (asc, then the real WasmEdge's AOT compiler) reproduces them
// byte for byte, the module imports nothing but WASI preview1 + WasmEdge sockets, stays within its size
// budget, and the OCI archive is a wasi/wasm image whose /app.wasm is the AOT module, which skopeo reads and
// copies with verified digests.
import { describe, it, expect, afterAll } from "vitest";
import { readFileSync, rmSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { buildWasm, DEFAULT_OUT_DIR, WASM_NAME, AOT_WASM_NAME, OCI_NAME, WASM_SIZE_LIMIT, AOT_SIZE_LIMIT } from "../../scripts/build/wasm";
import { customSectionNames } from "../../wasm-app/aot/wasmedge";
import { describeOnWasmEdge } from "../support/wasmedge";
import { tempDir } from "./harness";

const out = tempDir("wasm-build-");
afterAll(() => rmSync(out, { recursive: true, force: true }));

const ALLOWED_IMPORTS = new Set([
  // WASI preview1
  "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get", "fd_close",
  "fd_fdstat_get", "fd_fdstat_set_flags", "fd_filestat_get", "fd_filestat_set_size", "fd_prestat_get",
  "fd_prestat_dir_name", "fd_read", "fd_seek", "fd_sync", "fd_write", "path_create_directory", "path_open",
  "path_rename", "path_unlink_file", "poll_oneoff", "proc_exit", "random_get", "sock_recv", "sock_send", "sock_shutdown",
  "sock_accept",
  // WasmEdge socket extension
  "sock_open", "sock_bind", "sock_listen", "sock_connect", "sock_setsockopt", "sock_getsockopt", "sock_getaddrinfo",
]);

describeOnWasmEdge("build:wasm (needs the real WasmEdge's compiler)", () => {
  it("rebuilds the committed wasm-app/dist byte for byte", async () => {
    const r = await buildWasm(out);
    for (const name of [WASM_NAME, AOT_WASM_NAME, OCI_NAME]) {
      const fresh = readFileSync(path.join(out, name));
      const committed = readFileSync(path.join(DEFAULT_OUT_DIR, name));
      expect(fresh.equals(committed), `${name} differs from the committed copy: run npm run build:wasm and commit`).toBe(true);
    }
    expect(r.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  }, 180_000);
});

describe("build:wasm outputs", () => {
  it("ships the AOT module as /app.wasm: the plain module plus one wasmedge native-code section, under 2 MB", () => {
    const plain = readFileSync(path.join(DEFAULT_OUT_DIR, WASM_NAME));
    const aot = readFileSync(path.join(DEFAULT_OUT_DIR, AOT_WASM_NAME));
    expect(customSectionNames(plain)).not.toContain("wasmedge");
    expect(customSectionNames(aot).filter((n) => n === "wasmedge")).toHaveLength(1);
    expect(aot.length).toBeLessThan(AOT_SIZE_LIMIT);
    // The universal module still is the same module for any other runtime: same imports and exports.
    const a = new WebAssembly.Module(aot);
    const p = new WebAssembly.Module(plain);
    expect(WebAssembly.Module.imports(a)).toEqual(WebAssembly.Module.imports(p));
    expect(WebAssembly.Module.exports(a)).toEqual(WebAssembly.Module.exports(p));
    const layer = spawnSync("skopeo", ["copy", "--quiet", `oci-archive:${path.join(DEFAULT_OUT_DIR, OCI_NAME)}`, `dir:${path.join(out, "dir")}`], { encoding: "utf8" });
    expect(layer.status, layer.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(out, "dir", "manifest.json"), "utf8"));
    const blob = path.join(out, "dir", manifest.layers[0].digest.slice("sha256:".length));
    const list = spawnSync("tar", ["-xzOf", blob, "app.wasm"], { maxBuffer: 16 << 20 });
    expect(list.status, String(list.stderr)).toBe(0);
    expect(Buffer.from(list.stdout).equals(aot), "/app.wasm in the image is not the AOT module").toBe(true);
  });

  it("imports only WASI preview1 and the WasmEdge socket extension, and fits the size budget", () => {
    const bytes = readFileSync(path.join(DEFAULT_OUT_DIR, WASM_NAME));
    const mod = new WebAssembly.Module(bytes);
    const imports = WebAssembly.Module.imports(mod);
    for (const i of imports) {
      expect(i.module).toBe("wasi_snapshot_preview1");
      expect(i.kind).toBe("function");
      expect(ALLOWED_IMPORTS.has(i.name), `unexpected import ${i.name}`).toBe(true);
    }
    expect(WebAssembly.Module.exports(mod).map((e) => e.name).sort()).toEqual(["_start", "memory"]);
    expect(statSync(path.join(DEFAULT_OUT_DIR, WASM_NAME)).size).toBeLessThanOrEqual(WASM_SIZE_LIMIT);
  });

  it("produces a wasi/wasm image skopeo can inspect and copy (digests verified)", () => {
    const archive = `oci-archive:${path.join(DEFAULT_OUT_DIR, OCI_NAME)}`;
    const inspect = spawnSync("skopeo", ["inspect", archive], { encoding: "utf8" });
    expect(inspect.error, "skopeo is required (Debian package skopeo)").toBeUndefined();
    expect(inspect.status, inspect.stderr).toBe(0);
    const info = JSON.parse(inspect.stdout);
    expect(info.Os).toBe("wasi");
    expect(info.Architecture).toBe("wasm");
    const cfg = JSON.parse(spawnSync("skopeo", ["inspect", "--config", archive], { encoding: "utf8" }).stdout);
    expect(cfg.config.Entrypoint).toEqual(["/app.wasm"]);
    const copy = spawnSync("skopeo", ["copy", "--quiet", archive, `oci:${path.join(out, "layout")}:tracking`], { encoding: "utf8" });
    expect(copy.status, copy.stderr).toBe(0);
    const size = statSync(path.join(DEFAULT_OUT_DIR, OCI_NAME)).size;
    expect(size).toBeLessThan(2 * 1024 * 1024);
  });
});
