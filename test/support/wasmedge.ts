/**
 * The real WasmEdge 0.14.1 for the tests: $WASMEDGE_BIN, then PATH (wasm-app/aot/wasmedge.ts).
 * In CI a missing or wrong runtime fails the suite; elsewhere the tests that need it are skipped with one
 * loud line that says how to get it.
 */
import { describe } from "vitest";
import { findWasmEdge, HOW_TO_GET_WASMEDGE } from "../../wasm-app/aot/wasmedge";
import { IN_CI } from "./root";

const lookup = findWasmEdge();

/** Path of the wasmedge binary, or undefined when the tests that need it are skipped. */
export const WASMEDGE_BIN: string | undefined = lookup.ok ? lookup.runtime.bin : undefined;

if (!lookup.ok) {
    if (IN_CI) throw new Error(`CI must run the tracking-service tests on the real runtime: ${lookup.reason}; ${HOW_TO_GET_WASMEDGE}`);
    console.warn(`\n*** SKIPPING the tests that need WasmEdge ${"0.14.1"}: ${lookup.reason}. To run them, ${HOW_TO_GET_WASMEDGE}. ***\n`);
}

/** `describe` when the real runtime is here, `describe.skip` otherwise. */
export const describeOnWasmEdge = WASMEDGE_BIN ? describe : describe.skip;

export function requireWasmEdge(): string {
    if (!WASMEDGE_BIN) throw new Error(`no WasmEdge 0.14.1: ${HOW_TO_GET_WASMEDGE}`);
    return WASMEDGE_BIN;
}
