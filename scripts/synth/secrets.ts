/** Pulumi's wire marker for a secret value (sdk/nodejs/runtime/rpc.ts specialSigKey / specialSecretSig). */
export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const REDACTED = "[secret]";

export function isSecretEnvelope(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

export function secretEnvelope(value: unknown) {
    return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

/** Deep copy with every secret envelope replaced by "[secret]". */
export function redactSecrets(v: unknown): unknown {
    if (isSecretEnvelope(v)) return REDACTED;
    if (Array.isArray(v)) return v.map(redactSecrets);
    if (typeof v === "object" && v !== null) {
        return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, redactSecrets(x)]));
    }
    return v;
}
