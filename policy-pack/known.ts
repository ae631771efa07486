/**
 * During `pulumi preview` the policy runtime hands policies their props wrapped in a proxy that throws
 * UnknownValueError on any value not known yet (an output of a resource still to be created). One unknown field
 * would otherwise abort the whole policy for that resource, so props are first copied into plain data in which
 * each unknown value is replaced by the UNKNOWN marker; the checks then skip exactly what cannot be known and
 * still judge everything that can.
 */

export const UNKNOWN: unique symbol = Symbol("unknown");
export type Unknown = typeof UNKNOWN;

/**
 * The engine's wire sentinels for unknown values (pulumi's resource/plugin rpc); the proxy throws on them, and a
 * props object that did not pass through the proxy may still carry them as plain strings.
 */
export const UNKNOWN_SENTINELS: readonly string[] = [
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
];
const SENTINELS = new Set(UNKNOWN_SENTINELS);

/**
 * Recognised by shape rather than `instanceof`: a pack may load its own copy of @pulumi/policy next to the
 * program's, and a class check across copies fails.
 */
export function isUnknownValueError(e: unknown): boolean {
    if (!(e instanceof Error)) return false;
    const err = e as Error & { unknownTypeSentinel?: unknown; props?: unknown };
    return err.constructor?.name === "UnknownValueError" || (typeof err.unknownTypeSentinel === "string" && SENTINELS.has(err.unknownTypeSentinel));
}

function read(container: any, key: string | number): unknown {
    try {
        return materialize(container[key]);
    } catch (e) {
        if (isUnknownValueError(e)) return UNKNOWN;
        throw e;
    }
}

/** Plain-data copy of (possibly proxied) props with every unknown value replaced by UNKNOWN. */
export function materialize(value: unknown): unknown {
    if (typeof value === "string") return SENTINELS.has(value) ? UNKNOWN : value;
    if (value === null || typeof value !== "object") return value;
    if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (let i = 0; i < value.length; i++) out.push(read(value, i));
        return out;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = read(value, key);
    return out;
}

export function isUnknown(v: unknown): v is Unknown {
    return v === UNKNOWN;
}

/** Field of an object-like value; UNKNOWN propagates, anything that is not an object gives undefined. */
export function field(obj: unknown, key: string): unknown {
    if (isUnknown(obj)) return UNKNOWN;
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return undefined;
    return (obj as Record<string, unknown>)[key];
}

export function path(obj: unknown, ...keys: string[]): unknown {
    let cur = obj;
    for (const k of keys) cur = field(cur, k);
    return cur;
}
