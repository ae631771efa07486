// Shared helpers for the host tests: start a module with captured output and wait for a line.
import { PassThrough } from "node:stream";
import { runWasm, type RunWasmOptions, type WasmHandle } from "../../../scripts/wasmedge-host/host";

export interface Running extends WasmHandle {
  stdout: () => string;
  stderr: () => string;
  stdoutBytes: () => Buffer;
  /** resolves with the first capture group of the first stdout line matching re */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
}

export function start(opts: Omit<RunWasmOptions, "stdout" | "stderr">): Running {
  const out = new PassThrough();
  const err = new PassThrough();
  const outChunks: Buffer[] = [];
  const errChunks: Buffer[] = [];
  const waiters: Array<() => void> = [];
  out.on("data", (c: Buffer) => {
    outChunks.push(c);
    for (const w of waiters.splice(0)) w();
  });
  err.on("data", (c: Buffer) => errChunks.push(c));
  const h = runWasm({ ...opts, stdout: out, stderr: err });
  const stdoutBytes = () => Buffer.concat(outChunks);
  const stdout = () => stdoutBytes().toString("utf8");
  return {
    ...h,
    stdout,
    stderr: () => Buffer.concat(errChunks).toString("utf8"),
    stdoutBytes,
    waitFor(re: RegExp, timeoutMs = 10_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${re} in stdout: ${JSON.stringify(stdout())}`)),
          timeoutMs,
        );
        const check = () => {
          const m = re.exec(stdout());
          if (m) {
            clearTimeout(timer);
            resolve(m[1] ?? m[0]);
          } else waiters.push(check);
        };
        check();
        void h.exited.then(() =>
          setTimeout(() => {
            if (!re.exec(stdout())) {
              clearTimeout(timer);
              reject(new Error(`module exited before printing ${re}; stdout: ${stdout()}`));
            }
          }, 50),
        );
      });
    },
  };
}
