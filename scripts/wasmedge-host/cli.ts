// Command line compatible with the subset of `wasmedge` we use:
//   cli.ts [--dir GUEST:HOST | --dir DIR]... [--env NAME=VALUE]... module.wasm [args...]
// The exit code is the module's proc_exit code (0 when _start returns), 1 for a trap, a load error or
// bad arguments, as with wasmedge. A leading "run" (wasmedge run ...) is accepted and ignored.
import { runWasm } from "./host";

const USAGE = "usage: cli.ts [--dir GUEST:HOST]... [--env NAME=VALUE]... module.wasm [args...]";

// wasmedge exits with EXIT_FAILURE (1) for bad arguments and load errors alike
function fail(msg: string): never {
  process.stderr.write(`wasmedge-host: ${msg}\n${USAGE}\n`);
  process.exit(1);
}

function parse(argv: string[]): { preopens: Record<string, string>; env: string[]; wasm: string; args: string[] } {
  const preopens: Record<string, string> = {};
  const env: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    const take = (name: string): string => {
      const eq = a.indexOf("=");
      if (a.startsWith(`${name}=`)) return a.slice(eq + 1);
      if (i + 1 >= argv.length) fail(`${name} needs a value`);
      return argv[++i];
    };
    if (a === "--dir" || a.startsWith("--dir=")) {
      const v = take("--dir");
      const colon = v.indexOf(":");
      const guest = colon >= 0 ? v.slice(0, colon) : v;
      const host = colon >= 0 ? v.slice(colon + 1) : v;
      if (guest === "" || host === "") fail(`--dir ${v}: expected GUEST:HOST`);
      preopens[guest] = host;
    } else if (a === "--env" || a.startsWith("--env=")) {
      const v = take("--env");
      if (!v.includes("=") || v.startsWith("=")) fail(`--env ${v}: expected NAME=VALUE`);
      env.push(v);
    } else if (a === "-h" || a === "--help") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === "--") {
      i++;
      break;
    } else if (a.startsWith("-")) {
      fail(`unknown option ${a}`);
    } else break;
  }
  if (i >= argv.length) fail("no module given");
  return { preopens, env, wasm: argv[i], args: argv.slice(i + 1) };
}

const argv = process.argv.slice(2);
const opts = parse(argv[0] === "run" ? argv.slice(1) : argv);
try {
  const handle = runWasm({ wasmPath: opts.wasm, args: opts.args, env: opts.env, preopens: opts.preopens });
  handle.exited.then((code) => process.exit(code));
} catch (e) {
  fail((e as Error).message);
}
