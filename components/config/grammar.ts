/**
 * Strict grammars for config strings that reach a host script, a config file, a URL or a path. Each function
 * either returns the value in its canonical (re-serialised) form or says why the value is refused. validate.ts
 * calls them at the door; nothing downstream has to trust a raw config string.
 */
import * as path from "node:path";

/** C0/C1 control characters, DEL and the Unicode line/paragraph separators: none belongs in any config value. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Makes a text safe to print on one line: every control character becomes a visible escape (\n, \u0000, ...). */
export function escapeControls(text: string): string {
    return text.replace(CONTROL_ALL, (ch) => {
        const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
        return named[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
    });
}

export function hasControlCharacters(s: string): boolean {
    return CONTROL.test(s);
}

/** A key segment for a message: plain when it is a simple word, JSON-quoted (escaped) otherwise. */
export function keySegment(k: string): string {
    return /^[A-Za-z0-9_.:/+-]+$/.test(k) ? k : JSON.stringify(k);
}

export interface ControlCharacterFinding {
    key: string;
    value: string;
}

/**
 * Every string (mapping key or value) anywhere in the raw config that carries a control character. One walk
 * covers every key, including ones added later, so a newline or NUL can never reach a script through a field
 * whose own grammar forgot it.
 */
export function findControlCharacters(raw: unknown, key = ""): ControlCharacterFinding[] {
    const out: ControlCharacterFinding[] = [];
    const walk = (v: unknown, k: string) => {
        if (typeof v === "string") {
            if (hasControlCharacters(v)) out.push({ key: k, value: v });
        } else if (Array.isArray(v)) {
            // Elements with a plain id are named by it, as validate.ts names sites and hosts.
            v.forEach((e, i) => {
                const id = typeof e === "object" && e !== null && typeof (e as { id?: unknown }).id === "string" ? (e as { id: string }).id : "";
                walk(e, `${k}[${/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(id) ? `id=${id}` : i}]`);
            });
        } else if (typeof v === "object" && v !== null) {
            for (const [name, e] of Object.entries(v)) {
                const sub = `${k}${k ? "." : ""}${keySegment(name)}`;
                if (hasControlCharacters(name)) out.push({ key: sub, value: name });
                walk(e, sub);
            }
        }
    };
    walk(raw, key);
    return out;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** URL path characters we accept after parsing (unreserved, '/', '%XX' escapes, '+'). */
const URL_PATH = /^(\/[A-Za-z0-9._~%+-]*)*$/;

/**
 * A base URL: http(s), no user info, query or fragment, and no whitespace; returned re-serialised from its
 * parsed form without a trailing slash, so what hosts fetch is what `new URL()` understood.
 */
export function parseBaseUrl(s: string): Parsed<string> {
    if (/\s/.test(s) || hasControlCharacters(s)) return { ok: false, reason: "contains whitespace or control characters" };
    if (/^[a-z]+:\/\/[^/]*@/i.test(s)) return { ok: false, reason: "carries user info; credentials never belong in a URL in config" };
    if (s.includes("?") || s.includes("#")) return { ok: false, reason: "has a query or fragment; a base URL is scheme, host and path only" };
    // The raw text already in its strict form: host of DNS labels (or an IP literal), optional port, plain path.
    const m = /^(https?):\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?((\/[A-Za-z0-9._~%+-]*)*)$/i.exec(s);
    if (!m) return { ok: false, reason: "is not scheme://host[:port]/path with a plain host and path (letters, digits, . _ ~ % + -)" };
    if (!m[2].startsWith("[") && !m[2].split(".").every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))) return { ok: false, reason: "has a host name that is not made of DNS labels" };
    // Dot segments are refused before parsing: `new URL()` would silently resolve them (also when %2e-encoded).
    const rawPath = s.replace(/^[a-z]+:\/\/[^/]*/i, "");
    if (rawPath.split("/").some((seg) => /^(\.|%2e){1,2}$/i.test(seg))) return { ok: false, reason: "has '.' or '..' path segments" };
    let u: URL;
    try {
        u = new URL(s);
    } catch {
        return { ok: false, reason: "is not a URL" };
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") return { ok: false, reason: "is not an http(s) URL" };
    if (u.username || u.password) return { ok: false, reason: "carries user info; credentials never belong in a URL in config" };
    if (u.search || u.hash || s.includes("?") || s.includes("#")) return { ok: false, reason: "has a query or fragment; a base URL is scheme, host and path only" };
    if (s.endsWith("/")) return { ok: false, reason: "ends with a slash" };
    if (!URL_PATH.test(u.pathname) || u.pathname.split("/").some((seg) => seg === "." || seg === "..")) return { ok: false, reason: "has a path with characters or '..' segments a base URL does not need" };
    const out = `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname.replace(/\/$/, "")}`;
    return { ok: true, value: out };
}

/**
 * A local directory: relative to the project root or absolute, already normalised (no '.', '..', '//',
 * trailing '/'), never '/' or the project root itself, only [A-Za-z0-9._/-] characters.
 */
export function parseDirectory(s: string): Parsed<string> {
    if (!/^[A-Za-z0-9._/-]+$/.test(s)) return { ok: false, reason: "may contain only letters, digits, '.', '_', '-' and '/'" };
    if (s === "/" || s === "." || s === "./") return { ok: false, reason: "is the file system root or the project root; use a dedicated directory" };
    const segments = s.split("/").filter((seg, i) => !(i === 0 && seg === ""));
    if (segments.some((seg) => seg === "" || seg === "." || seg === "..")) return { ok: false, reason: "is not normalised (no '.', '..', '//' or trailing '/')" };
    if (path.posix.normalize(s) !== s) return { ok: false, reason: "is not normalised" };
    if (s.startsWith("-")) return { ok: false, reason: "starts with '-'" };
    return { ok: true, value: s };
}

const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_63 = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_63 = /^(?=.{0,63}$)(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A Kubernetes qualified name ([prefix/]name): the grammar of label keys and taint keys. */
export function isQualifiedName(k: string): boolean {
    const slash = k.lastIndexOf("/");
    if (slash === -1) return NAME_63.test(k);
    if (k.indexOf("/") !== slash) return false;
    return DNS_SUBDOMAIN.test(k.slice(0, slash)) && NAME_63.test(k.slice(slash + 1));
}

/** A Kubernetes label value (also the grammar of taint values): at most 63 characters. */
export function isLabelValue(v: string): boolean {
    return VALUE_63.test(v);
}

export interface ParsedTaint {
    key: string;
    value?: string;
    effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** `key[=value]:Effect` with the key and value held to Kubernetes' own rules (what the kubelet accepts). */
export function parseTaint(t: string): Parsed<ParsedTaint> {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
    if (!m) return { ok: false, reason: "is not a taint of the form key[=value]:NoSchedule|PreferNoSchedule|NoExecute" };
    if (!isQualifiedName(m[1])) return { ok: false, reason: `is not a taint of the form key[=value]:Effect with a valid key (a Kubernetes qualified name: [prefix/]name, name at most 63 of [A-Za-z0-9-_.])` };
    if (m[2] !== undefined && !isLabelValue(m[2])) return { ok: false, reason: "is not a taint of the form key[=value]:Effect with a valid value (at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends)" };
    return { ok: true, value: { key: m[1], ...(m[2] !== undefined ? { value: m[2] } : {}), effect: m[3] as ParsedTaint["effect"] } };
}

export const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"] as const;

/**
 * An OpenSSH public key line as `ssh-keyscan` or a `.pub` file gives it: `<type> <base64> [comment]`. The blob
 * must decode and name the same key type inside (a truncated or mispasted key is refused here, not at dial
 * time). Returns the canonical `<type> <base64>` form the SSH clients pin; the comment is dropped.
 */
export function parseHostKey(line: string): Parsed<string> {
    const parts = line.trim().split(/ +/);
    if (parts.length < 2) return { ok: false, reason: 'is not an OpenSSH public key ("ssh-ed25519 AAAA... [comment]")' };
    const [type, b64] = parts;
    const comment = parts.slice(2).join(" ");
    if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) return { ok: false, reason: `is not an OpenSSH public key: type ${JSON.stringify(type)} is not one of ${HOST_KEY_TYPES.join(", ")}` };
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return { ok: false, reason: "is not an OpenSSH public key: the key data is not base64" };
    if (comment && !/^[\x20-\x7e]*$/.test(comment)) return { ok: false, reason: "is not an OpenSSH public key: the comment holds non-printable characters" };
    const blob = Buffer.from(b64, "base64");
    const len = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
    const inner = len > 0 && len + 4 <= blob.length ? blob.subarray(4, 4 + len).toString("latin1") : "";
    if (inner !== type) return { ok: false, reason: `is not an OpenSSH public key: the key data is ${inner ? `a ${JSON.stringify(inner)} key` : "truncated"}, not ${type}` };
    if (type === "ssh-ed25519" && blob.length !== 4 + 11 + 4 + 32) return { ok: false, reason: "is not an OpenSSH public key: an ed25519 key is 32 bytes" };
    return { ok: true, value: `${type} ${b64}` };
}

/** Artifact file names the host and operator fetch scripts accept (they check the same rule themselves). */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;

export function isArtifactName(name: string): boolean {
    return ARTIFACT_NAME.test(name) && !name.includes("..") && name.length <= 200;
}

/** One PEM block of the given label, base64 body in lines, nothing else (the only config values with newlines). */
export function isPemBlock(s: string, label: "CERTIFICATE" | "X509 CRL"): boolean {
    const re = new RegExp(`^-----BEGIN ${label}-----\\n([A-Za-z0-9+/=]{1,76}\\n)+-----END ${label}-----\\n?$`);
    return re.test(s);
}
