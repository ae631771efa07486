/**
 * Where raw config comes from: the Pulumi runtime (index.ts) or a stack file on disk (synth). Both end in
 * validateEstateConfig, so `pulumi up` and `npm run synth` accept and reject exactly the same stacks.
 */
import * as fs from "node:fs";
import * as yaml from "js-yaml";
import { PROJECT } from "./defaults";
import type { EstateConfig } from "./types";
import { ConfigError, type RawEstateConfig, validateEstateConfig } from "./validate";

const PREFIX = `${PROJECT}:`;

/** Config values arrive as strings; structured ones are JSON. */
function parseValue(v: string): unknown {
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
}

/** From the Pulumi runtime's config map ("edge-estate:key" -> string). */
export function loadFromRuntimeConfig(all: Record<string, string>, requirePins: boolean): EstateConfig {
    const raw: RawEstateConfig = {};
    for (const [k, v] of Object.entries(all)) {
        if (!k.startsWith(PREFIX)) continue;
        const key = k.slice(PREFIX.length);
        if (key === "sshPrivateKey") continue;
        raw[key] = parseValue(v);
    }
    const key = all[`${PREFIX}sshPrivateKey`];
    return validateEstateConfig(raw, { sshPrivateKeyPresent: !!key, sshPrivateKeyPlaintext: key, requirePins });
}

export interface StackFile {
    raw: RawEstateConfig;
    /** Keys (without prefix) whose value is `secure:` ciphertext in the file. */
    encryptedKeys: string[];
    sshPrivateKeyPresent: boolean;
    sshPrivateKeyPlaintext?: string;
}

/** Reads Pulumi.<stack>.yaml-format text. Throws ConfigError for anything malformed. */
export function parseStackFile(text: string, fileName: string): StackFile {
    let doc: unknown;
    try {
        doc = yaml.load(text, { filename: fileName });
    } catch (e) {
        const reason = (e as Error).message.split("\n")[0];
        throw new ConfigError([`${fileName}: not valid YAML: ${reason}`]);
    }
    if (doc === null || doc === undefined) throw new ConfigError([`${fileName}: the file is empty; expected a top-level "config:" mapping`]);
    if (typeof doc !== "object" || Array.isArray(doc)) throw new ConfigError([`${fileName}: expected a mapping with a "config:" key at the top level`]);
    const top = doc as Record<string, unknown>;
    const config = top.config;
    if (config === undefined) throw new ConfigError([`${fileName}: has no "config:" key`]);
    if (typeof config !== "object" || config === null || Array.isArray(config)) throw new ConfigError([`${fileName}: "config:" must be a mapping of ${PREFIX}<key> entries`]);
    const raw: RawEstateConfig = {};
    const encryptedKeys: string[] = [];
    const problems: string[] = [];
    let sshPrivateKeyPresent = false;
    let sshPrivateKeyPlaintext: string | undefined;
    for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
        if (!k.startsWith(PREFIX)) {
            // Provider namespaces (kubernetes:, command:) are allowed; bare keys are a namespace mistake.
            if (!k.includes(":")) problems.push(`${fileName}: config key "${k}" has no namespace; did you mean "${PREFIX}${k}"?`);
            continue;
        }
        const key = k.slice(PREFIX.length);
        const isSecure = typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;
        if (key === "sshPrivateKey") {
            sshPrivateKeyPresent = v !== null && v !== undefined && v !== "";
            if (!isSecure && typeof v === "string") sshPrivateKeyPlaintext = v;
            if (isSecure) encryptedKeys.push(key);
            continue;
        }
        if (isSecure) {
            problems.push(`${PREFIX}${key}: only sshPrivateKey may be a secret; keep the inventory in plain config (found a secure: value)`);
            encryptedKeys.push(key);
            continue;
        }
        raw[key] = v;
    }
    if (problems.length) throw new ConfigError(problems);
    return { raw, encryptedKeys, sshPrivateKeyPresent, ...(sshPrivateKeyPlaintext !== undefined ? { sshPrivateKeyPlaintext } : {}) };
}

export function loadStackFile(path: string, requirePins = false): { config: EstateConfig; stack: StackFile } {
    let text: string;
    try {
        text = fs.readFileSync(path, "utf8");
    } catch (e) {
        throw new ConfigError([`cannot read stack file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]);
    }
    const stack = parseStackFile(text, path);
    const config = validateEstateConfig(stack.raw, {
        sshPrivateKeyPresent: stack.sshPrivateKeyPresent,
        ...(stack.sshPrivateKeyPlaintext !== undefined ? { sshPrivateKeyPlaintext: stack.sshPrivateKeyPlaintext } : {}),
        requirePins,
    });
    return { config, stack };
}
