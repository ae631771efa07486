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

/** Rights a new file may get: whatever the directory lets its children inherit. */
export function inheritableRights(dirfd: u32): u64 {
  if (fd_fdstat_get(dirfd, scratch) != 0) return 0x1FFFFFFF;
  return load<u64>(scratch, 16);
}

export function openAt(dirfd: u32, rel: string, oflags: u16, fdflags: u16): i64 {
  const path = String.UTF8.encode(rel);
  const rights = inheritableRights(dirfd);
  const err = path_open(dirfd, 1 /* follow symlinks */, changetype<usize>(path), <u32>path.byteLength,
    oflags, rights, rights, fdflags, scratch);
  if (err != 0) return -(<i64>err);
  return <i64>load<u32>(scratch);
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

/** A preopened directory: its guest path (e.g. "/data" or "/") and its fd. */
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
    // Some hosts include a trailing NUL or slash; normalise.
    while (s.length > 1 && (s.endsWith("\0") || s.endsWith("/"))) s = s.substring(0, s.length - 1);
    out.push(new Preopen(fd, s));
  }
  return out;
}

/** A directory fd plus a path relative to it. */
export class ResolvedPath {
  constructor(public dirfd: u32, public rel: string) {}
}

/** Maps an absolute guest path onto the preopen with the longest matching prefix. */
export function resolvePath(preopens: Preopen[], path: string): ResolvedPath | null {
  let best: Preopen | null = null;
  let bestRel = "";
  for (let i = 0; i < preopens.length; i++) {
    const p = preopens[i];
    let rel: string | null = null;
    if (p.path == "/" || p.path == "." ) {
      rel = path.startsWith("/") ? path.substring(1) : path;
    } else if (path == p.path) {
      rel = ".";
    } else if (path.startsWith(p.path + "/")) {
      rel = path.substring(p.path.length + 1);
    }
    if (rel === null) continue;
    if (best === null || p.path.length > best.path.length) {
      best = p;
      bestRel = rel;
    }
  }
  if (best === null) return null;
  if (bestRel.length == 0) bestRel = ".";
  return new ResolvedPath(best.fd, bestRel);
}
