/**
 * Output paths for every script that writes files: a tool never deletes or overwrites what it did not make.
 *
 * Directories: the tool writes into a fresh temporary folder next to the target and swaps it into place at the
 * end. An existing target is replaced only when it carries the marker file a previous run of the same tool left
 * (`.edge-estate-output`); the checkout root, the current directory, any of their ancestors and any other folder
 * are refused. Files: an existing file is overwritten only when the caller recognises it as its own output.
 *
 * Refusals are `OutputPathError`s (the scripts print the message and exit 2, no stack trace).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const OUTPUT_MARKER = ".edge-estate-output";

/** The checkout this script runs from (the folder holding package.json). */
export const CHECKOUT_ROOT = path.resolve(__dirname, "..", "..");

export class OutputPathError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "OutputPathError";
    }
}

const isInside = (child: string, parent: string) => {
    const rel = path.relative(parent, child);
    return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

function realish(p: string): string {
    // Resolve symlinks of the longest existing prefix so `--out link-to-checkout` is caught too.
    let cur = path.resolve(p);
    const rest: string[] = [];
    for (;;) {
        try {
            return path.join(fs.realpathSync(cur), ...rest);
        } catch {
            const parent = path.dirname(cur);
            if (parent === cur) return path.resolve(p);
            rest.unshift(path.basename(cur));
            cur = parent;
        }
    }
}

/** Folders an output path may never be or contain: a tool's output replaces its target wholesale. */
function protectedDirs(): { dir: string; what: string }[] {
    const home = process.env.HOME;
    return [
        { dir: realish(CHECKOUT_ROOT), what: "the checkout" },
        { dir: realish(process.cwd()), what: "the current directory" },
        ...(home ? [{ dir: realish(home), what: "the home directory" }] : []),
    ];
}

const errText = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

function readMarker(dir: string): string | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(dir, OUTPUT_MARKER), "utf8")).tool;
    } catch {
        return undefined;
    }
}

/** Checks that `target` may receive a tool's output folder; throws OutputPathError saying why not. */
export function checkOutputDir(target: string, tool: string): string {
    if (!target) throw new OutputPathError("the output folder is empty");
    const abs = path.resolve(target);
    const real = realish(abs);
    if (real === path.parse(real).root) throw new OutputPathError(`refusing --out ${target}: it is the file system root`);
    for (const { dir, what } of protectedDirs()) {
        if (isInside(dir, real)) throw new OutputPathError(`refusing --out ${target}: it is ${real === dir ? "" : "a folder containing "}${what} (${dir}); give a folder of its own, e.g. out/<name>`);
    }
    let st: fs.Stats | undefined;
    try {
        st = fs.lstatSync(abs);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" && (e as NodeJS.ErrnoException).code !== "ENOTDIR") throw new OutputPathError(`cannot use --out ${target}: ${errText(e)}`);
    }
    if (st) {
        if (!st.isDirectory()) throw new OutputPathError(`refusing --out ${target}: it exists and is not a folder`);
        const owner = readMarker(abs);
        if (owner !== tool) {
            const entries = fs.readdirSync(abs);
            if (entries.length > 0)
                throw new OutputPathError(
                    `refusing --out ${target}: the folder exists and is not a previous ${tool} output (no ${OUTPUT_MARKER} marker${owner ? ` of ${tool}; it belongs to ${owner}` : ""}); ` +
                        `choose a new or empty folder, or remove it yourself`,
                );
        }
    }
    // The nearest existing ancestor must be a writable folder: say so before any work is done.
    let anc = path.dirname(abs);
    while (!fs.existsSync(anc) && path.dirname(anc) !== anc) anc = path.dirname(anc);
    try {
        if (!fs.statSync(anc).isDirectory()) throw Object.assign(new Error(), { code: "ENOTDIR" });
        fs.accessSync(anc, fs.constants.W_OK);
    } catch (e) {
        throw new OutputPathError(`cannot write --out ${target}: ${anc} is not a writable folder (${errText(e)})`);
    }
    return abs;
}

/**
 * Runs `write` against a fresh temporary folder and swaps it into `target` when it returns true. The temporary
 * folder is removed on failure, on false, and on a throw. Returns write's result.
 */
export async function writeOutputDir<T extends { publish: boolean }>(target: string, tool: string, write: (dir: string) => Promise<T> | T): Promise<T> {
    const abs = checkOutputDir(target, tool);
    const parent = path.dirname(abs);
    try {
        fs.mkdirSync(parent, { recursive: true });
    } catch (e) {
        throw new OutputPathError(`cannot create the parent folder of --out ${target}: ${errText(e)}`);
    }
    let tmp: string;
    try {
        tmp = fs.mkdtempSync(path.join(parent, `.${path.basename(abs)}.tmp-`));
    } catch (e) {
        throw new OutputPathError(`cannot write next to --out ${target}: ${errText(e)}`);
    }
    try {
        fs.writeFileSync(path.join(tmp, OUTPUT_MARKER), JSON.stringify({ tool, note: `written by ${tool}; the folder is replaced on the next run` }) + "\n");
        const result = await write(tmp);
        if (!result.publish) return result;
        // Re-check right before the swap: the target may have changed while we wrote.
        checkOutputDir(target, tool);
        let old: string | undefined;
        if (fs.existsSync(abs)) {
            old = `${tmp}.old`;
            fs.renameSync(abs, old);
        }
        fs.renameSync(tmp, abs);
        if (old) fs.rmSync(old, { recursive: true, force: true });
        return result;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/**
 * Writes a file atomically; an existing file is replaced only when `isOurs(existingText)` says a previous run
 * made it. Refuses folders and unwritable paths with an OutputPathError.
 */
export function writeOutputFile(target: string, text: string | Buffer, isOurs: (existing: Buffer) => boolean, what: string): string {
    if (!target) throw new OutputPathError("the output file name is empty");
    const abs = path.resolve(target);
    let existing: Buffer | undefined;
    try {
        const st = fs.statSync(abs);
        if (st.isDirectory()) throw new OutputPathError(`refusing ${target}: it is a folder; give a file name`);
        existing = fs.readFileSync(abs);
    } catch (e) {
        if (e instanceof OutputPathError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "ENOENT") throw new OutputPathError(`cannot write ${target}: ${errText(e)}`);
    }
    if (existing !== undefined && !isOurs(existing)) throw new OutputPathError(`refusing to overwrite ${target}: it exists and is not a previous ${what}; choose another name or remove it yourself`);
    const tmp = `${abs}.tmp-${process.pid}`;
    try {
        fs.writeFileSync(tmp, text);
        fs.renameSync(tmp, abs);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw new OutputPathError(`cannot write ${target}: ${errText(e)}`);
    }
    return abs;
}
