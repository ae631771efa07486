/** Tests that need root (namespaces, mounts, sshd) run in CI and as root; elsewhere they are skipped loudly. */
export const IS_ROOT = typeof process.getuid === "function" && process.getuid() === 0;
export const IN_CI = !!process.env.CI;

export function requireRootOrSkip(what: string): boolean {
    if (IS_ROOT) return true;
    if (IN_CI) throw new Error(`${what} must run in CI but the CI user is not root`);
    console.warn(`\n*** SKIPPED: ${what} needs root (network/mount namespaces). Run the suite as root to include it. ***\n`);
    return false;
}
