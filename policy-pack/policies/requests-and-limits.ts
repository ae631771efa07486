/**
 * Every container and init container states CPU and memory requests and limits, each a valid non-negative
 * quantity, with requests not above limits. Without requests the scheduler packs a 4 GiB host blind; without
 * limits one pod can starve K3s itself.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cmp, describe, RESOURCE_NAMES } from "../amount";
import { isUnknown } from "../known";
import { readAmount, workloadLabel, type Amount } from "../workloads";
import { containerLabel, workloadFromArgs } from "./common";

export const REQUESTS_AND_LIMITS = "workload-requests-and-limits";

export const requestsAndLimitsPolicy: ResourceValidationPolicy = {
    name: REQUESTS_AND_LIMITS,
    description: "Every container and init container sets CPU and memory requests and limits, with requests <= limits.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const w = workloadFromArgs(args);
        const where = workloadLabel(w);
        if (isUnknown(w.podSpec)) return;
        if (w.podSpec === undefined || w.podSpec === null) {
            report(`${where}: has no pod spec, so no container resources can be checked`);
            return;
        }
        if (w.containersKnown && !w.containers.some((c) => !c.init)) {
            report(`${where}: has no containers`);
        }
        for (const c of w.containers) {
            if (isUnknown(c.resources)) continue;
            const who = `${where}: ${containerLabel(c)}`;
            for (const r of RESOURCE_NAMES) {
                const amounts: Record<"requests" | "limits", Amount> = {
                    requests: readAmount(c.resources, "requests", r),
                    limits: readAmount(c.resources, "limits", r),
                };
                for (const section of ["requests", "limits"] as const) {
                    const a = amounts[section];
                    if (a.state === "missing") report(`${who} sets no ${section}.${r}`);
                    else if (a.state === "invalid") report(`${who}: ${section}.${r} ${a.error}`);
                    else if (a.state === "ok" && a.value.num < 0n) report(`${who}: ${section}.${r} ${a.raw} is negative`);
                }
                const req = amounts.requests;
                const lim = amounts.limits;
                if (req.state === "ok" && lim.state === "ok" && cmp(req.value, lim.value) > 0) {
                    report(`${who}: requests.${r} ${describe(r, req.raw, req.value)} exceeds limits.${r} ${describe(r, lim.raw, lim.value)}`);
                }
            }
        }
    },
};
