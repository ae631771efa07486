// WASI preview1 functions the service uses. Declared here (instead of reaching into the
// wasi-shim's internals) so the import list of the module is explicit and reviewable.
// Every function returns a preview1 errno (0 = success).

export const ERRNO_SUCCESS: u32 = 0;
export const ERRNO_AGAIN: u32 = 6;
export const ERRNO_BADF: u32 = 8;
export const ERRNO_EXIST: u32 = 20;
export const ERRNO_INPROGRESS: u32 = 26;
export const ERRNO_INTR: u32 = 27;
export const ERRNO_NOENT: u32 = 44;

export const CLOCK_REALTIME: u32 = 0;
export const CLOCK_MONOTONIC: u32 = 1;

export const OFLAGS_CREAT: u16 = 1;
export const OFLAGS_DIRECTORY: u16 = 2;
export const OFLAGS_TRUNC: u16 = 8;

export const FDFLAGS_APPEND: u16 = 1;
export const FDFLAGS_NONBLOCK: u16 = 4;

export const EVENTTYPE_CLOCK: u8 = 0;
export const EVENTTYPE_FD_READ: u8 = 1;
export const EVENTTYPE_FD_WRITE: u8 = 2;
export const EVENTRWFLAGS_HANGUP: u16 = 1;

export const SUBSCRIPTION_SIZE: usize = 48;
export const EVENT_SIZE: usize = 32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
export declare function fd_read(fd: u32, iovs: usize, iovsLen: u32, nread: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
export declare function fd_write(fd: u32, iovs: usize, iovsLen: u32, nwritten: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
export declare function fd_close(fd: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_sync")
export declare function fd_sync(fd: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_seek")
export declare function fd_seek(fd: u32, offset: i64, whence: u8, newOffset: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_filestat_get")
export declare function fd_filestat_get(fd: u32, buf: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_filestat_set_size")
export declare function fd_filestat_set_size(fd: u32, size: u64): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_fdstat_get")
export declare function fd_fdstat_get(fd: u32, buf: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_fdstat_set_flags")
export declare function fd_fdstat_set_flags(fd: u32, flags: u16): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
export declare function fd_prestat_get(fd: u32, buf: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
export declare function fd_prestat_dir_name(fd: u32, path: usize, len: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
export declare function path_open(dirfd: u32, dirflags: u32, path: usize, pathLen: u32, oflags: u16,
  rightsBase: u64, rightsInheriting: u64, fdflags: u16, fd: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_rename")
export declare function path_rename(fd: u32, oldPath: usize, oldLen: u32, newFd: u32, newPath: usize, newLen: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_unlink_file")
export declare function path_unlink_file(fd: u32, path: usize, len: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_create_directory")
export declare function path_create_directory(fd: u32, path: usize, len: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "poll_oneoff")
export declare function poll_oneoff(subs: usize, events: usize, nsubs: u32, nevents: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
export declare function clock_time_get(id: u32, precision: u64, time: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_sizes_get")
export declare function environ_sizes_get(count: usize, size: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "environ_get")
export declare function environ_get(environ: usize, buf: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
export declare function proc_exit(code: u32): void;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
export declare function random_get(buf: usize, len: u32): u32;

// Scratch space for out-parameters of single calls (never held across calls).
const scratch = memory.data(64);

export function nowNs(clock: u32 = CLOCK_MONOTONIC): u64 {
  if (clock_time_get(clock, 1000, scratch) != 0) return 0;
  return load<u64>(scratch);
}

export function nowMs(): i64 {
  return <i64>(nowNs(CLOCK_MONOTONIC) / 1000000);
}

export function wallMs(): i64 {
  return <i64>(nowNs(CLOCK_REALTIME) / 1000000);
}

export function randomU32(): u32 {
  random_get(scratch, 4);
  return load<u32>(scratch);
}

/** Writes all of [ptr, ptr+len) to fd, looping over partial writes. Returns an errno. */
export function writeAll(fd: u32, ptr: usize, len: usize): u32 {
  while (len > 0) {
    store<u32>(scratch, <u32>ptr);
    store<u32>(scratch, <u32>len, 4);
    const err = fd_write(fd, scratch, 1, scratch + 8);
    if (err != 0) return err;
    const n = <usize>load<u32>(scratch, 8);
    if (n == 0) return 29; // EIO: a zero-length write would loop forever
    ptr += n;
    len -= n;
  }
  return 0;
}

/** One fd_read into [ptr, ptr+len). Returns bytes read, or -errno. */
export function readSome(fd: u32, ptr: usize, len: usize): i64 {
  store<u32>(scratch, <u32>ptr);
  store<u32>(scratch, <u32>len, 4);
  const err = fd_read(fd, scratch, 1, scratch + 8);
  if (err != 0) return -(<i64>err);
  return <i64>load<u32>(scratch, 8);
}

export function seekToEnd(fd: u32): i64 {
  const err = fd_seek(fd, 0, 2 /* END */, scratch);
  if (err != 0) return -(<i64>err);
  return <i64>load<u64>(scratch);
}

export function fileSize(fd: u32): i64 {
  if (fd_filestat_get(fd, scratch) != 0) return -1;
  return <i64>load<u64>(scratch, 32);
}

// Rights (WASI preview1 bit numbers). WasmEdge 0.14.1 derives the host open(2) mode from the base
// rights: fd_read or fd_readdir means "read", and fd_write, fd_datasync, fd_allocate or
// fd_filestat_set_size mean "write" (lib/host/wasi/vinode.cpp, inode-linux.cpp). So a directory must be
// opened without any write right (O_RDWR on a directory is EISDIR, and fd_read+fd_write together is
// refused with ISDIR before any syscall), and a file we only read must be opened without one too (a
// 0444 file read by a non-root user would fail with EACCES). Preopens carry no fd_sync right, so a
// directory that must be synced after a rename gets its own fd with fd_sync, opened read-only.
export const RIGHT_FD_DATASYNC: u64 = 1 << 0;
export const RIGHT_FD_READ: u64 = 1 << 1;
export const RIGHT_FD_SEEK: u64 = 1 << 2;
export const RIGHT_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
export const RIGHT_FD_SYNC: u64 = 1 << 4;
export const RIGHT_FD_TELL: u64 = 1 << 5;
export const RIGHT_FD_WRITE: u64 = 1 << 6;
export const RIGHT_PATH_CREATE_DIRECTORY: u64 = 1 << 9;
export const RIGHT_PATH_CREATE_FILE: u64 = 1 << 10;
export const RIGHT_PATH_OPEN: u64 = 1 << 13;
export const RIGHT_FD_READDIR: u64 = 1 << 14;
export const RIGHT_PATH_RENAME_SOURCE: u64 = 1 << 16;
export const RIGHT_PATH_RENAME_TARGET: u64 = 1 << 17;
export const RIGHT_PATH_FILESTAT_GET: u64 = 1 << 18;
export const RIGHT_PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
export const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
export const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
export const RIGHT_PATH_UNLINK_FILE: u64 = 1 << 26;
export const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;

/** A file we only read: no right that WasmEdge maps to a write mode. */
export const RIGHTS_FILE_READ: u64 = RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_TELL | RIGHT_FD_FILESTAT_GET |
  RIGHT_POLL_FD_READWRITE;
/** A file we write (the event log and its compaction temp file). */
export const RIGHTS_FILE_WRITE: u64 = RIGHTS_FILE_READ | RIGHT_FD_WRITE | RIGHT_FD_SYNC | RIGHT_FD_DATASYNC |
  RIGHT_FD_FILESTAT_SET_SIZE | RIGHT_FD_FDSTAT_SET_FLAGS;
/** A directory: path operations, readdir (so the host opens it O_RDONLY, not O_PATH) and fd_sync. */
export const RIGHTS_DIR: u64 = RIGHT_PATH_CREATE_DIRECTORY | RIGHT_PATH_CREATE_FILE | RIGHT_PATH_OPEN |
  RIGHT_FD_READDIR | RIGHT_PATH_RENAME_SOURCE | RIGHT_PATH_RENAME_TARGET | RIGHT_PATH_FILESTAT_GET |
  RIGHT_PATH_FILESTAT_SET_SIZE | RIGHT_FD_FILESTAT_GET | RIGHT_PATH_UNLINK_FILE | RIGHT_FD_SYNC;

function openWithRights(dirfd: u32, rel: string, oflags: u16, base: u64, inheriting: u64, fdflags: u16): i64 {
  const path = String.UTF8.encode(rel);
  const err = path_open(dirfd, 1 /* follow symlinks */, changetype<usize>(path), <u32>path.byteLength,
    oflags, base, inheriting, fdflags, scratch);
  if (err != 0) return -(<i64>err);
  return <i64>load<u32>(scratch);
}

/** Opens a directory (for path operations and fd_sync). Returns the fd or -errno. */
export function openDirAt(dirfd: u32, rel: string): i64 {
  return openWithRights(dirfd, rel, OFLAGS_DIRECTORY, RIGHTS_DIR, RIGHTS_DIR | RIGHTS_FILE_WRITE, 0);
}

/** Opens an existing file for reading only. Returns the fd or -errno. */
export function openFileForRead(dirfd: u32, rel: string): i64 {
  return openWithRights(dirfd, rel, 0, RIGHTS_FILE_READ, 0, 0);
}

/** Opens (optionally creating/truncating) a file for reading and writing. Returns the fd or -errno. */
export function openFileForWrite(dirfd: u32, rel: string, oflags: u16, fdflags: u16): i64 {
  return openWithRights(dirfd, rel, oflags, RIGHTS_FILE_WRITE, 0, fdflags);
}

export function renameAt(dirfd: u32, from: string, to: string): u32 {
  const a = String.UTF8.encode(from);
  const b = String.UTF8.encode(to);
  return path_rename(dirfd, changetype<usize>(a), <u32>a.byteLength, dirfd, changetype<usize>(b), <u32>b.byteLength);
}

export function unlinkAt(dirfd: u32, rel: string): u32 {
  const a = String.UTF8.encode(rel);
  return path_unlink_file(dirfd, changetype<usize>(a), <u32>a.byteLength);
}

export function mkdirAt(dirfd: u32, rel: string): u32 {
  const a = String.UTF8.encode(rel);
  return path_create_directory(dirfd, changetype<usize>(a), <u32>a.byteLength);
}

/** The process environment as a map (WASI environ_get). */
export function readEnviron(): Map<string, string> {
  const env = new Map<string, string>();
  if (environ_sizes_get(scratch, scratch + 4) != 0) return env;
  const count = <i32>load<u32>(scratch);
  const size = <i32>load<u32>(scratch, 4);
  if (count == 0) return env;
  const ptrs = new ArrayBuffer(count * 4);
  const data = new ArrayBuffer(size);
  if (environ_get(changetype<usize>(ptrs), changetype<usize>(data)) != 0) return env;
  const dataStart = changetype<usize>(data);
  const dataEnd = dataStart + <usize>size;
  for (let i = 0; i < count; i++) {
    const p = <usize>load<u32>(changetype<usize>(ptrs) + <usize>(i * 4));
    let e = p;
    while (e < dataEnd && load<u8>(e) != 0) e++;
    const entry = String.UTF8.decodeUnsafe(p, e - p);
    const eq = entry.indexOf("=");
    if (eq > 0) env.set(entry.substring(0, eq), entry.substring(eq + 1));
  }
  return env;
}

/** A preopened directory: its name as the runtime reports it, normalised (see normalisePath), and its fd. */
export class Preopen {
  constructor(public fd: u32, public path: string) {}
}

export function listPreopens(): Preopen[] {
  const out = new Array<Preopen>();
  // Preopens are numbered from 3 upwards and end at the first fd that is not one.
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, scratch) != 0) break;
    if (load<u8>(scratch) != 0) continue; // not a directory preopen
    const len = load<u32>(scratch, 4);
    const name = new ArrayBuffer(<i32>len);
    if (fd_prestat_dir_name(fd, changetype<usize>(name), len) != 0) continue;
    let s = String.UTF8.decodeUnsafe(changetype<usize>(name), len);
    // Some hosts include a trailing NUL.
    while (s.endsWith("\0")) s = s.substring(0, s.length - 1);
    const n = normalisePath(s);
    if (n !== null) out.push(new Preopen(fd, n));
  }
  return out;
}

/**
 * Normalises a guest path the way wasi-libc compares paths with preopen names: leading "/" and "./",
 * repeated and trailing slashes, and "." components are dropped, ".." removes the previous component.
 * Real WasmEdge reports `--dir /data:X` as "data" and the shim's root preopen as "/", so both "/data" and
 * "data" normalise to "data", and "/" and "." to "" (the root, which contains every path).
 * Returns null for a path that climbs above the root with "..".
 */
export function normalisePath(path: string): string | null {
  const parts = path.split("/");
  const out = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p.length == 0 || p == ".") continue;
    if (p == "..") {
      if (out.length == 0) return null;
      out.pop();
      continue;
    }
    out.push(p);
  }
  return out.join("/");
}

/** A directory fd plus a path relative to it ("." for the directory itself). */
export class ResolvedPath {
  constructor(public dirfd: u32, public rel: string) {}
}

/** Maps a guest path onto the preopen whose normalised name is its longest component-wise prefix. */
export function resolvePath(preopens: Preopen[], path: string): ResolvedPath | null {
  const want = normalisePath(path);
  if (want === null) return null;
  let best: Preopen | null = null;
  let bestRel = "";
  for (let i = 0; i < preopens.length; i++) {
    const p = preopens[i];
    let rel: string | null = null;
    if (p.path.length == 0) rel = want;
    else if (want == p.path) rel = "";
    else if (want.startsWith(p.path + "/")) rel = want.substring(p.path.length + 1);
    if (rel === null) continue;
    if (best === null || p.path.length > best.path.length) {
      best = p;
      bestRel = rel;
    }
  }
  if (best === null) return null;
  return new ResolvedPath(best.fd, bestRel.length == 0 ? "." : bestRel);
}
