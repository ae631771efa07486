/**
 * Kubernetes resource quantities, parsed the way apimachinery's `resource.ParseQuantity` does:
 * `<sign><digits>[.<digits>]<suffix>` where suffix is a binary SI suffix (Ki..Ei), a decimal SI suffix
 * (n, u, m, "", k, M, G, T, P, E) or a decimal exponent (e3, E-2). Values are kept exact as a fraction of
 * BigInts so "0.1" + "0.2" never drifts, and are rounded up the way the API server rounds (to 1m CPU, 1 byte).
 *
 * Dependency-free on purpose: the policy pack and Gatekeeper parameter builders use the same module.
 */

export interface Quantity {
    /** value = num / den, den > 0 */
    num: bigint;
    den: bigint;
}

const BINARY: Record<string, bigint> = {
    Ki: 1n << 10n,
    Mi: 1n << 20n,
    Gi: 1n << 30n,
    Ti: 1n << 40n,
    Pi: 1n << 50n,
    Ei: 1n << 60n,
};
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

export class QuantityError extends Error {}

function pow10(n: number): bigint {
    return 10n ** BigInt(n);
}

/** Parses a quantity; accepts numbers too (the API server accepts JSON numbers for quantities). */
export function parseQuantity(input: string | number): Quantity {
    const text = typeof input === "number" ? numberToText(input) : String(input).trim();
    const m = QUANTITY_RE.exec(text);
    if (!m) {
        throw new QuantityError(`"${input}" is not a Kubernetes quantity (expected e.g. 500m, 0.5, 1Gi, 1G, 129e6)`);
    }
    const [, sign, digits, suffix = ""] = m;
    const [intPart, fracPart = ""] = digits.split(".");
    let num = BigInt((intPart || "0") + fracPart);
    let den = pow10(fracPart.length);
    if (suffix in BINARY) {
        num *= BINARY[suffix];
    } else {
        const exp = suffix in DECIMAL_EXP ? DECIMAL_EXP[suffix] : Number(suffix.slice(1));
        if (!Number.isSafeInteger(exp) || Math.abs(exp) > 60) {
            throw new QuantityError(`"${input}" has an exponent out of range`);
        }
        if (exp >= 0) num *= pow10(exp);
        else den *= pow10(-exp);
    }
    if (sign === "-") num = -num;
    return normalise({ num, den });
}

function numberToText(n: number): string {
    if (!Number.isFinite(n)) throw new QuantityError(`${n} is not a Kubernetes quantity`);
    // Number#toString gives "1e+21" style for big values; the quantity grammar wants "1e21".
    return String(n).replace("e+", "e");
}

function gcd(a: bigint, b: bigint): bigint {
    a = a < 0n ? -a : a;
    while (b) [a, b] = [b, a % b];
    return a;
}

function normalise(q: Quantity): Quantity {
    const g = gcd(q.num, q.den) || 1n;
    return { num: q.num / g, den: q.den / g };
}

function ceilDiv(a: bigint, b: bigint): bigint {
    const q = a / b;
    return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** CPU in millicores, rounded up like the API server (0.0001 -> 1m). */
export function toMilliCpu(input: string | number): number {
    const q = parseQuantity(input);
    return Number(ceilDiv(q.num * 1000n, q.den));
}

/** Memory in bytes, rounded up to a whole byte. */
export function toBytes(input: string | number): number {
    const q = parseQuantity(input);
    return Number(ceilDiv(q.num, q.den));
}

/** Human form used in messages: "1500m" for CPU. */
export function formatMilliCpu(milli: number): string {
    return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Human form used in messages: "256Mi", "1.5Gi", or bytes. */
export function formatBytes(bytes: number): string {
    for (const [suffix, size] of [["Gi", 2 ** 30], ["Mi", 2 ** 20], ["Ki", 2 ** 10]] as const) {
        if (bytes >= size && (bytes % size === 0 || bytes >= 10 * size)) {
            const v = bytes / size;
            return `${Number.isInteger(v) ? v : v.toFixed(2)}${suffix}`;
        }
    }
    return String(bytes);
}

export function isQuantity(input: unknown): boolean {
    if (typeof input !== "string" && typeof input !== "number") return false;
    try {
        parseQuantity(input);
        return true;
    } catch {
        return false;
    }
}
