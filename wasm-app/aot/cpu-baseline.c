/*
 * Pins the CPU that `wasmedge compile` generates native code for.
 *
 * WasmEdge 0.14.1 has no target option: it asks LLVM for the build machine's CPU name and features
 * (LLVMGetHostCPUName / LLVMGetHostCPUFeatures, lib/llvm/compiler.cpp), and even --generic-binary still
 * passes the build machine's features to the target machine. Code built on an AVX-512 machine then
 * dies with SIGILL on an edge host without AVX-512. Loaded with LD_PRELOAD into the compiler only, this
 * library answers both questions with the fleet's baseline instead (from AOT_CPU_NAME and
 * AOT_CPU_FEATURES, which wasm-app/aot/wasmedge.ts sets), so the output no longer depends on the build
 * machine and is the same on every x86-64 build machine. It is never loaded on a site.
 */
#include <stdlib.h>
#include <string.h>

static char *copy_env(const char *name, const char *fallback) {
    const char *v = getenv(name);
    /* LLVM frees these with LLVMDisposeMessage, i.e. free(): hand out heap copies. */
    return strdup(v != NULL ? v : fallback);
}

char *LLVMGetHostCPUName(void) { return copy_env("AOT_CPU_NAME", "generic"); }

char *LLVMGetHostCPUFeatures(void) { return copy_env("AOT_CPU_FEATURES", ""); }
