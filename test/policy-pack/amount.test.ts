// Exact quantity arithmetic of the policy pack; answers written out (Kubernetes quantity semantics: m = 1/1000,
// Mi = 2^20, decimal suffixes x1000; CPU rounds up to 1m, memory up to a byte).
import { describe, expect, it } from "vitest";
import { add, cmp, describe as describeAmount, format, max, parse, sub, times, ZERO } from "../../policy-pack/amount";

describe("amount arithmetic", () => {
    it("adds, subtracts and multiplies without floating point", () => {
        expect(format("cpu", add(parse("100m"), parse("0.25")))).toBe("350m");
        expect(format("cpu", add(parse("0.1"), parse("0.2")))).toBe("300m");
        expect(format("memory", sub(parse("4Gi"), parse("1600Mi")))).toBe("2496Mi");
        expect(format("cpu", times(parse("333m"), 3))).toBe("999m");
        expect(format("memory", times(parse("1k"), 3))).toBe("3000");
        expect(add(ZERO, parse("1"))).toEqual(parse("1"));
    });

    it("compares like Kubernetes' Quantity.Cmp, across suffixes", () => {
        expect(cmp(parse("1"), parse("1000m"))).toBe(0);
        expect(cmp(parse("1Gi"), parse("1G"))).toBe(1);
        expect(cmp(parse("999Mi"), parse("1Gi"))).toBe(-1);
        expect(max(parse("500m"), parse("0.6"))).toEqual(parse("600m"));
    });

    it("formats CPU rounded up to a millicore and memory up to a byte", () => {
        expect(format("cpu", parse("0.0001"))).toBe("1m");
        expect(format("cpu", parse("1500m"))).toBe("1500m");
        expect(format("memory", parse("0.5"))).toBe("1");
        expect(format("memory", sub(parse("1Mi"), parse("2Mi")))).toBe("-1Mi");
    });

    it("describe shows the normalised form only when the manifest wrote it another way", () => {
        expect(describeAmount("cpu", "250m", parse("250m"))).toBe("250m");
        expect(describeAmount("cpu", "0.25", parse("0.25"))).toBe("0.25 (= 250m)");
    });
});
