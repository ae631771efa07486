// components/config/quantity.ts against the quantity grammar and rounding of Kubernetes' resource.Quantity.
import { describe, expect, it } from "vitest";
import { formatBytes, formatMilliCpu, isQuantity, parseQuantity, toBytes, toMilliCpu } from "../../../components/config/quantity";

describe("quantities", () => {
    it.each([
        ["500m", 500],
        ["0.5", 500],
        ["1", 1000],
        ["2", 2000],
        ["1.5", 1500],
        ["100u", 1], // rounds up to 1m like the API server
        ["0.0001", 1],
        ["1e3", 1_000_000],
        ["1k", 1_000_000],
        [".5", 500],
        [2, 2000],
        [0.25, 250],
    ])("cpu %s = %d millicores", (q, m) => expect(toMilliCpu(q)).toBe(m));

    it.each([
        ["1Gi", 2 ** 30],
        ["1G", 1e9],
        ["128974848", 128974848],
        ["129e6", 129_000_000],
        ["123Mi", 123 * 2 ** 20],
        ["256Mi", 268435456],
        ["0.5Gi", 2 ** 29],
        ["1.5Ki", 1536],
        ["4Gi", 4 * 2 ** 30],
        ["12E-3", 1], // 0.012 bytes rounds up to 1
        [1048576, 1048576],
    ])("memory %s = %d bytes", (q, b) => expect(toBytes(q)).toBe(b));

    it.each(["", "lots", "1GB", "1gi", "--1", "1.2.3", "Mi", "1 Gi", "0x10", "e3", "1e"])("rejects %j", (q) => {
        expect(isQuantity(q)).toBe(false);
        expect(() => parseQuantity(q)).toThrowError(/is not a Kubernetes quantity/);
    });

    it("is exact: 0.1 + 0.2 cores is 300m", () => expect(toMilliCpu("0.1") + toMilliCpu("0.2")).toBe(300));
    it("formats for messages", () => {
        expect(formatMilliCpu(1500)).toBe("1500m");
        expect(formatMilliCpu(2000)).toBe("2");
        expect(formatBytes(256 * 2 ** 20)).toBe("256Mi");
        expect(formatBytes(4 * 2 ** 30)).toBe("4Gi");
    });
});
