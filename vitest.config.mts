import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // One program per test file: each file gets its own process (Pulumi's runtime state is global).
        pool: "forks",
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});
