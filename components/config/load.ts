/**
 * Where raw config comes from: the Pulumi runtime (index.ts, `pulumi preview/up`) or a stack file on disk (synth,
 * budget, policy:check). Both produce the same list of entries (full key, parsed value, secure or not) and go
 * through one function, `loadConfigEntries`, so `pulumi up` and `npm run synth` accept and reject exactly the same
 * stacks: namespaces, secrets, unknown keys and every value check.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { PROJECT } from "./defaults";
import type { EstateConfig } from "./types";
import { ConfigError, type RawEstateConfig, validateEstateConfig } from "./validate";

const PREFIX = `${PROJECT}:`;

/** Config namespaces this program reads or whose providers it uses; any other namespace is a typo. */
export const KNOWN_NAMESPACES = [PROJECT, "kubernetes", "command", "random", "tls", "pulumi"] as const;

/** One `namespace:key` of a stack's config. */
export interface ConfigEntry {
    key: string;
    value: unknown;
    /** The value is a secret (`secure:` in the file, or a secret key at runtime). */
    secure: boolean;
}

export interface StackFile {
    raw: RawEstateConfig;
    /** Keys (without prefix) whose value is secret. */
    encryptedKeys: string[];
    sshPrivateKeyPresent: boolean;
    /** The key's plaintext when known (a plaintext test stack, or the runtime's decrypted value). */
    sshPrivateKeyPlaintext?: string;
}

function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length][b.length];
}

/** The one place config entries become the raw edge-estate config: namespaces, secrets, the SSH key. */
export function entriesToStack(entries: ConfigEntry[], source: string): StackFile {
    const raw: RawEstateConfig = {};
    const encryptedKeys: string[] = [];
    const problems: string[] = [];
    let sshPrivateKeyPresent = false;
    let sshPrivateKeyPlaintext: string | undefined;
    for (const { key: k, value: v, secure } of entries) {
        const colon = k.indexOf(":");
        if (colon < 0) {
            problems.push(`${source}: config key ${JSON.stringify(k)} has no namespace; did you mean ${JSON.stringify(PREFIX + k)}?`);
            continue;
        }
        const ns = k.slice(0, colon);
        if (ns !== PROJECT) {
            if (!(KNOWN_NAMESPACES as readonly string[]).includes(ns)) {
                const near = editDistance(ns.toLowerCase().replace(/_/g, "-"), PROJECT) <= 2 || ns.toLowerCase().replace(/[^a-z]/g, "") === PROJECT.replace(/-/g, "");
                problems.push(
                    `${source}: config key ${JSON.stringify(k)} has the unknown namespace ${JSON.stringify(ns)}` +
                        (near ? `; did you mean ${JSON.stringify(PREFIX + k.slice(colon + 1))}?` : `; known namespaces: ${KNOWN_NAMESPACES.join(", ")}`),
                );
            }
            continue;
        }
        const key = k.slice(colon + 1);
        if (key === "sshPrivateKey") {
            sshPrivateKeyPresent = v !== null && v !== undefined && v !== "";
            if (typeof v === "string") sshPrivateKeyPlaintext = v;
            if (secure) encryptedKeys.push(key);
            continue;
        }
        if (secure) {
            problems.push(`${PREFIX}${key}: only sshPrivateKey may be a secret; keep the inventory in plain config (found a secret value)`);
            encryptedKeys.push(key);
            continue;
        }
        raw[key] = v;
    }
    if (problems.length) throw new ConfigError(problems);
    return { raw, encryptedKeys, sshPrivateKeyPresent, ...(sshPrivateKeyPlaintext !== undefined ? { sshPrivateKeyPlaintext } : {}) };
}

/** Entries -> validated config: the loader `pulumi up` and synth share. */
export function loadConfigEntries(entries: ConfigEntry[], source: string, requirePins: boolean): { config: EstateConfig; stack: StackFile } {
    const stack = entriesToStack(entries, source);
    const config = validateEstateConfig(stack.raw, {
        sshPrivateKeyPresent: stack.sshPrivateKeyPresent,
        ...(stack.sshPrivateKeyPlaintext !== undefined ? { sshPrivateKeyPlaintext: stack.sshPrivateKeyPlaintext } : {}),
        requirePins,
    });
    return { config, stack };
}

/** Config values arrive from the runtime as strings; structured ones are JSON. */
function parseValue(v: string): unknown {
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
}

/** From the Pulumi runtime's config map ("edge-estate:key" -> string) and its secret-key list. */
export function runtimeEntries(all: Record<string, string>, isSecret: (key: string) => boolean): ConfigEntry[] {
    // The SSH key is a string even when it looks like JSON; everything else may be structured.
    return Object.entries(all).map(([key, v]) => ({ key, value: key === `${PREFIX}sshPrivateKey` ? v : parseValue(v), secure: isSecret(key) }));
}

export function loadFromRuntimeConfig(all: Record<string, string>, requirePins: boolean, isSecret: (key: string) => boolean = () => false): EstateConfig {
    return loadConfigEntries(runtimeEntries(all, isSecret), "stack config", requirePins).config;
}

/** Pulumi.<stack>.yaml text -> entries. Throws ConfigError for anything malformed. */
export function stackFileEntries(text: string, fileName: string): ConfigEntry[] {
    let doc: unknown;
    try {
        doc = yaml.load(text, { filename: fileName });
    } catch (e) {
        const reason = (e as Error).message.split("\n")[0];
        throw new ConfigError([`${fileName}: not valid YAML: ${reason}`]);
    }
    if (doc === null || doc === undefined) throw new ConfigError([`${fileName}: the file is empty; expected a top-level "config:" mapping`]);
    if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError([`${fileName}: expected a mapping with a "config:" key at the top level`]);
    const config = (doc as Record<string, unknown>).config;
    if (config === undefined) throw new ConfigError([`${fileName}: has no "config:" key`]);
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new ConfigError([`${fileName}: "config:" must be a mapping of ${PREFIX}<key> entries`]);
    // A `secure:` value stays the {secure: ciphertext} object: present, never plaintext.
    return Object.entries(config as Record<string, unknown>).map(([key, value]) => ({
        key,
        value,
        secure: typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value,
    }));
}

/** Reads Pulumi.<stack>.yaml-format text. Throws ConfigError for anything malformed. */
export function parseStackFile(text: string, fileName: string): StackFile {
    return entriesToStack(stackFileEntries(text, fileName), fileName);
}

export function loadStackFile(path: string, requirePins = false): { config: EstateConfig; stack: StackFile } {
    let text: string;
    try {
        text = fs.readFileSync(path, "utf8");
    } catch (e) {
        throw new ConfigError([`cannot read stack file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
    return loadConfigEntries(stackFileEntries(text, path), path, requirePins);
}
