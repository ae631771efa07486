/**
 * Turns a script file under scripts/remote/ plus its environment into the exact bash text a host runs.
 * Pure functions: the host component, synth and the tests all go through `renderRemoteScript`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const REMOTE_SCRIPTS_DIR = path.resolve(__dirname, "..", "..", "scripts", "remote");
const LIB_SOURCE_LINE = 'source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"';

const cache = new Map<string, string>();
function readScript(relative: string): string {
    let text = cache.get(relative);
    if (text === undefined) {
        text = fs.readFileSync(path.join(REMOTE_SCRIPTS_DIR, relative), "utf8");
        cache.set(relative, text);
    }
    return text;
}

const withoutShebang = (text: string) => text.replace(/^#!.*\n/, "");

/** POSIX single-quote quoting: safe for any byte string. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

export interface RenderOptions {
    /** scripts/remote/<file> */
    file: string;
    /** Exported before the script body, in this order. Never put secrets here: use stdin. */
    env: Record<string, string>;
    /** Comment lines placed under the shebang (what/where/stdin). */
    header: string[];
}

/** The full text bash executes on the host: shebang, header, exports, shared lib inlined, step body. */
export function renderRemoteScript({ file, env, header }: RenderOptions): string {
    const body = withoutShebang(readScript(file));
    if (!body.includes(LIB_SOURCE_LINE)) throw new Error(`scripts/remote/${file} must source lib/common.sh with: ${LIB_SOURCE_LINE}`);
    const lib = withoutShebang(readScript("lib/common.sh")).trim();
    const exports = Object.entries(env).map(([k, v]) => {
        if (!ENV_NAME.test(k)) throw new Error(`invalid environment variable name ${k}`);
        return `export ${k}=${shellQuote(v)}`;
    });
    const inlined = body.replace(`# shellcheck source=lib/common.sh\n${LIB_SOURCE_LINE}`, `# --- scripts/remote/lib/common.sh ---\n${lib}\n# --- end of lib ---`);
    return ["#!/usr/bin/env bash", ...header.map((h) => `# ${h}`), ...exports, inlined.trimStart()].join("\n");
}

/** The command line the SSH session runs: bash -c '<script>' (through sudo for non-root users). */
export function remoteCommandLine(script: string, user: string): string {
    const prefix = user === "root" ? "" : "sudo -n ";
    return `${prefix}bash -c ${shellQuote(script)}`;
}

/** Inverse of remoteCommandLine, used by synth to write the script text the host runs. */
export function scriptFromCommandLine(commandLine: string): string | undefined {
    const m = /^(?:sudo -n )?bash -c '([\s\S]*)'$/.exec(commandLine);
    return m ? m[1].replace(/'\\''/g, "'") : undefined;
}
