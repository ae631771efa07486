/** The pack's policies; index.ts hands them to `new PolicyPack`. Import this (never index.ts) from tests. */
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { classBudgetPolicy } from "./class-budget";
import { requestsAndLimitsPolicy } from "./requests-and-limits";
import { siteCapacityPolicy } from "./site-capacity";
import { unknownPodTemplatesPolicy } from "./unknown-pod-templates";
import { wasmRuntimePolicy } from "./wasm-runtime";

export const PACK_NAME = "edge-estate-workload-budget";
export const PACK_ENFORCEMENT: EnforcementLevel = "mandatory";

export const policies: Policies = [requestsAndLimitsPolicy, classBudgetPolicy, wasmRuntimePolicy, siteCapacityPolicy, unknownPodTemplatesPolicy];
