/**
 * Exact arithmetic on parsed quantities (fractions of BigInts from components/config/quantity.ts) and the
 * readable forms the messages use. Parsing itself stays in quantity.ts: one grammar for the whole project.
 */
import { formatBytes, formatMilliCpu, parseQuantity, type Quantity } from "../components/config/quantity";

export type ResourceName = "cpu" | "memory";
export const RESOURCE_NAMES: readonly ResourceName[] = ["cpu", "memory"];

export const ZERO: Quantity = { num: 0n, den: 1n };

function gcd(a: bigint, b: bigint): bigint {
    a = a < 0n ? -a : a;
    b = b < 0n ? -b : b;
    while (b) [a, b] = [b, a % b];
    return a;
}

function norm(num: bigint, den: bigint): Quantity {
    const g = gcd(num, den) || 1n;
    return { num: num / g, den: den / g };
}

export function add(a: Quantity, b: Quantity): Quantity {
    return norm(a.num * b.den + b.num * a.den, a.den * b.den);
}

export function sub(a: Quantity, b: Quantity): Quantity {
    return norm(a.num * b.den - b.num * a.den, a.den * b.den);
}

export function times(a: Quantity, n: number): Quantity {
    return norm(a.num * BigInt(n), a.den);
}

/** -1, 0 or 1 like Kubernetes' Quantity.Cmp. */
export function cmp(a: Quantity, b: Quantity): number {
    const l = a.num * b.den;
    const r = b.num * a.den;
    return l < r ? -1 : l > r ? 1 : 0;
}

export function max(a: Quantity, b: Quantity): Quantity {
    return cmp(a, b) >= 0 ? a : b;
}

function ceilDiv(a: bigint, b: bigint): bigint {
    const q = a / b;
    return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** "1500m", "2", "256Mi", "1.5Gi": CPU rounded up to 1m, memory up to a byte, as the API server rounds. */
export function format(resource: ResourceName, q: Quantity): string {
    if (resource === "cpu") return formatMilliCpu(Number(ceilDiv(q.num * 1000n, q.den)));
    const bytes = ceilDiv(q.num, q.den);
    return bytes < 0n ? `-${formatBytes(Number(-bytes))}` : formatBytes(Number(bytes));
}

/** The value as the manifest wrote it, plus the normalised form when that reads differently. */
export function describe(resource: ResourceName, raw: unknown, q: Quantity): string {
    const canonical = format(resource, q);
    const written = String(raw);
    return written === canonical ? written : `${written} (= ${canonical})`;
}

export function parse(raw: string | number): Quantity {
    return parseQuantity(raw);
}
