/**
 * What every product tool shares on its command line: flags with values, `--stack NAME | --config-file PATH`
 * resolved one way everywhere, and the exit codes (0 ok, 1 invalid stack config or the tool's own failure,
 * 2 usage error). A `--stack` names `Pulumi.<NAME>.yaml` in the project root, whatever the working directory;
 * a `--config-file` path is taken relative to the working directory.
 */
import * as path from "node:path";
import { ConfigError } from "../../components/config/validate";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** A usage mistake: the tool prints the message and its usage line and exits 2. */
export class UsageError extends Error {}

export interface ParsedArgs {
    /** Flag (with its dashes) -> value, for the flags given. */
    values: Map<string, string>;
    /** Boolean flags given. */
    flags: Set<string>;
    positional: string[];
}

/** Parses `--flag value` pairs and boolean `--flag`s; anything else starting with `--` is a usage error. */
export function parseArgs(argv: string[], spec: { values: string[]; flags?: string[]; positional?: boolean }): ParsedArgs {
    const out: ParsedArgs = { values: new Map(), flags: new Set(), positional: [] };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--help" || a === "-h") throw new UsageError("");
        if (spec.values.includes(a)) {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            out.values.set(a, v);
        } else if (spec.flags?.includes(a)) out.flags.add(a);
        else if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown argument ${a}`);
        else if (spec.positional) out.positional.push(a);
        else throw new UsageError(`unexpected argument ${a}`);
    }
    return out;
}

export interface StackSource {
    /** Path of the stack file to read (relative paths are relative to the working directory). */
    file: string;
    /** The stack name: the --stack value, or the file's name without `Pulumi.` and `.yaml`. */
    stack: string;
}

const STACK_NAME = /^[A-Za-z0-9._-]+$/;

/** Exactly one of --stack NAME and --config-file PATH. */
export function stackSource(args: ParsedArgs): StackSource {
    const stack = args.values.get("--stack");
    const file = args.values.get("--config-file");
    if ((stack === undefined) === (file === undefined)) throw new UsageError("give exactly one of --stack or --config-file");
    if (stack !== undefined) {
        if (!STACK_NAME.test(stack)) throw new UsageError(`invalid stack name ${JSON.stringify(stack)}`);
        // Relative to the working directory when that is shorter, so messages name the file as a user would.
        return { file: path.relative(process.cwd(), path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`)), stack };
    }
    return { file: file!, stack: path.basename(file!).replace(/^Pulumi\./, "").replace(/\.ya?ml$/, "") };
}

/**
 * Runs a tool's main and exits with its code: a UsageError prints `<tool>: message` and the usage line (2), a
 * ConfigError prints its key-naming problems without a stack trace (1), anything else is an internal error (3).
 */
export function runTool(tool: string, usage: string, main: () => number | Promise<number>): void {
    Promise.resolve()
        .then(main)
        .then(
            (code) => process.exit(code),
            (e) => {
                if (e instanceof UsageError) {
                    if (e.message) console.error(`${tool}: ${e.message}`);
                    console.error(usage);
                    process.exit(2);
                }
                if (e instanceof ConfigError) {
                    console.error(e.message);
                    process.exit(1);
                }
                console.error(`${tool}: internal error: ${(e as Error).stack ?? e}`);
                process.exit(3);
            },
        );
}
