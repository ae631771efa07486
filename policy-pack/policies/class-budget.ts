/**
 * Per-container limits within the ceiling of the workload's class: Wasm pods (runtimeClassName wasmedge) get the
 * wasm ceiling (1 CPU / 256Mi by default), everything else `default`; more classes can be mapped by runtime
 * class. A container with no limit is judged by its request (the other policy reports the missing limit).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import type { Quantity } from "../../components/config/quantity";
import { cmp, describe, max, RESOURCE_NAMES, type ResourceName } from "../amount";
import { isUnknown } from "../known";
import { readAmount, workloadLabel, type Workload } from "../workloads";
import { containerLabel, workloadFromArgs } from "./common";
import { classBudgetSchema, resolveClassBudgetConfig, type ClassBudgetConfig } from "./config";

export const CLASS_BUDGET = "container-limits-within-class-budget";

interface Ceiling {
    label: string;
    cpu: Quantity;
    memory: Quantity;
    raw: { cpu: string; memory: string };
}

function ceilingFor(w: Workload, cfg: ClassBudgetConfig): Ceiling {
    if (isUnknown(w.runtimeClassName)) {
        // The class is not known yet: only a limit above every class ceiling is certainly too big.
        const all = Object.values(cfg.classes);
        const pick = (r: ResourceName) => all.map((b) => b[r]).reduce(max);
        const cpu = pick("cpu");
        const memory = pick("memory");
        const rawOf = (r: ResourceName, q: Quantity) => all.find((b) => cmp(b[r], q) === 0)!.raw[r];
        return { label: "largest class (runtime class not known yet)", cpu, memory, raw: { cpu: rawOf("cpu", cpu), memory: rawOf("memory", memory) } };
    }
    const rc = w.runtimeClassName;
    const cls = (rc !== undefined && cfg.runtimeClasses[rc]) || "default";
    const b = cfg.classes[cls];
    return { label: `${cls} class${rc ? `, runtimeClassName ${rc}` : ""}`, cpu: b.cpu, memory: b.memory, raw: b.raw };
}

export const classBudgetPolicy: ResourceValidationPolicy = {
    name: CLASS_BUDGET,
    description: "Per-container CPU/memory limits stay within the budget of the workload's class (wasm: 1 CPU / 256Mi by default).",
    enforcementLevel: "mandatory",
    configSchema: classBudgetSchema,
    validateResource: (args, report) => {
        const w = workloadFromArgs(args);
        const cfg = resolveClassBudgetConfig(args.getConfig());
        const ceiling = ceilingFor(w, cfg);
        for (const c of w.containers) {
            if (isUnknown(c.resources)) continue;
            for (const r of RESOURCE_NAMES) {
                let a = readAmount(c.resources, "limits", r);
                let section = "limits";
                if (a.state === "missing") {
                    a = readAmount(c.resources, "requests", r);
                    section = "requests";
                }
                if (a.state !== "ok" || cmp(a.value, ceiling[r]) <= 0) continue;
                report(
                    `${workloadLabel(w)}: ${containerLabel(c)}: ${section}.${r} ${describe(r, a.raw, a.value)} exceeds the ${ceiling.label} ceiling ${ceiling.raw[r]}`,
                );
            }
        }
    },
};
