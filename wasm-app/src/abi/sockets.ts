// WasmEdge 0.14.1 socket extension, imported from wasi_snapshot_preview1 (see the
// socket ABI fact sheet). Only the shapes verified on a real WasmEdge are used:
// - sock_accept is declared with 3 parameters, so WasmEdge binds it to sock_accept_v2.
//   We always pass fdflags 0 (0.14.1 puts NONBLOCK on the listener otherwise) and make
//   the accepted fd nonblocking with fd_fdstat_set_flags.
// - bind/connect take an 8-byte {buf, buf_len} address with a 4-byte IPv4 and a host-order port.
import { fd_fdstat_set_flags, FDFLAGS_NONBLOCK } from "./wasi";

export const AF_INET4: u32 = 1;
export const SOCK_STREAM: u32 = 2;
export const SOL_SOCKET: u32 = 0;
export const SO_REUSEADDR: u32 = 0;
export const SO_ERROR: u32 = 2;
export const SO_KEEPALIVE: u32 = 7;
export const SHUT_RDWR: u32 = 3;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_open")
declare function sock_open(af: u32, socktype: u32, roFd: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_bind")
declare function sock_bind(fd: u32, addr: usize, port: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_listen")
declare function sock_listen(fd: u32, backlog: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_accept")
declare function sock_accept(fd: u32, fdflags: u32, roFd: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_connect")
declare function sock_connect(fd: u32, addr: usize, port: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_recv")
declare function sock_recv(fd: u32, iovs: usize, iovsLen: u32, riFlags: u32, roLen: usize, roFlags: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_send")
declare function sock_send(fd: u32, iovs: usize, iovsLen: u32, siFlags: u32, soLen: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_shutdown")
declare function sock_shutdown(fd: u32, how: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_setsockopt")
declare function sock_setsockopt(fd: u32, level: u32, name: u32, val: usize, valLen: u32): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_getsockopt")
declare function sock_getsockopt(fd: u32, level: u32, name: u32, val: usize, valLen: usize): u32;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "sock_getaddrinfo")
declare function sock_getaddrinfo(node: usize, nodeLen: u32, service: usize, serviceLen: u32,
  hints: usize, res: usize, maxResLen: u32, roResLen: usize): u32;

// Layout of the scratch area (never held across calls):
//   0: address struct {buf, buf_len}   8: 4 address bytes   16: out u32   20: out u16   32: iovec
const scratch = memory.data(64);

/** Result of a socket call: value >= 0, or -errno. */
export function openTcp(): i64 {
  const err = sock_open(AF_INET4, SOCK_STREAM, scratch + 16);
  if (err != 0) return -(<i64>err);
  return <i64>load<u32>(scratch, 16);
}

function setAddress(ip: u32): usize {
  // ip is in network order packed as a.b.c.d -> bytes [a,b,c,d]
  store<u8>(scratch, <u8>(ip >>> 24), 8);
  store<u8>(scratch, <u8>(ip >>> 16), 9);
  store<u8>(scratch, <u8>(ip >>> 8), 10);
  store<u8>(scratch, <u8>ip, 11);
  store<u32>(scratch, <u32>(scratch + 8), 0);
  store<u32>(scratch, 4, 4);
  return scratch;
}

export function setIntOption(fd: u32, name: u32, value: i32): u32 {
  store<i32>(scratch, value, 16);
  return sock_setsockopt(fd, SOL_SOCKET, name, scratch + 16, 4);
}

export function getSocketError(fd: u32): i32 {
  store<i32>(scratch, 0, 16);
  store<u32>(scratch, 4, 20);
  const err = sock_getsockopt(fd, SOL_SOCKET, SO_ERROR, scratch + 16, scratch + 20);
  if (err != 0) return -1;
  return load<i32>(scratch, 16);
}

export function bindListen(fd: u32, ip: u32, port: u32, backlog: u32): u32 {
  let err = sock_bind(fd, setAddress(ip), port);
  if (err != 0) return err;
  return sock_listen(fd, backlog);
}

/** Nonblocking connect: 0 connected, ERRNO_INPROGRESS/AGAIN pending, else errno. */
export function connectTo(fd: u32, ip: u32, port: u32): u32 {
  return sock_connect(fd, setAddress(ip), port);
}

/** Accepts one connection and makes it nonblocking. Returns fd or -errno. */
export function acceptNonblocking(listenFd: u32): i64 {
  const err = sock_accept(listenFd, 0, scratch + 16);
  if (err != 0) return -(<i64>err);
  const fd = load<u32>(scratch, 16);
  fd_fdstat_set_flags(fd, FDFLAGS_NONBLOCK);
  return <i64>fd;
}

export function setNonblocking(fd: u32): u32 {
  return fd_fdstat_set_flags(fd, FDFLAGS_NONBLOCK);
}

/** Receives into [ptr, ptr+len). Returns bytes (0 = EOF) or -errno. */
export function recvInto(fd: u32, ptr: usize, len: i32): i64 {
  store<u32>(scratch, <u32>ptr, 32);
  store<u32>(scratch, <u32>len, 36);
  const err = sock_recv(fd, scratch + 32, 1, 0, scratch + 16, scratch + 20);
  if (err != 0) return -(<i64>err);
  return <i64>load<u32>(scratch, 16);
}

/** Sends from [ptr, ptr+len). Returns bytes sent (may be partial) or -errno. */
export function sendFrom(fd: u32, ptr: usize, len: i32): i64 {
  store<u32>(scratch, <u32>ptr, 32);
  store<u32>(scratch, <u32>len, 36);
  const err = sock_send(fd, scratch + 32, 1, 0, scratch + 16);
  if (err != 0) return -(<i64>err);
  return <i64>load<u32>(scratch, 16);
}

export function shutdownWrite(fd: u32): u32 {
  return sock_shutdown(fd, 2);
}

export function shutdownBoth(fd: u32): u32 {
  return sock_shutdown(fd, SHUT_RDWR);
}

/** Parses a dotted IPv4 literal into a packed u32; returns -1 if it is not one. */
export function parseIPv4(s: string): i64 {
  let parts = 0;
  let value: u32 = 0;
  let cur: i32 = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // treat end as '.'
    if (c == 46) {
      if (cur < 0 || parts == 4) return -1;
      value = (value << 8) | <u32>cur;
      parts++;
      cur = -1;
    } else if (c >= 48 && c <= 57) {
      if (cur == 0) return -1; // no leading zeros (avoids octal ambiguity)
      cur = cur < 0 ? c - 48 : cur * 10 + (c - 48);
      if (cur > 255) return -1;
    } else {
      return -1;
    }
  }
  return parts == 4 ? <i64>value : -1;
}

/**
 * Resolves a host name to an IPv4 address with sock_getaddrinfo. The guest owns all
 * result memory: one addrinfo (28 B) -> sockaddr (12 B) -> 32-byte sa_data buffer
 * (the host copies up to 26 bytes without checking), plus a canonname buffer.
 * Returns the packed address or -errno.
 */
export function resolveIPv4(host: string): i64 {
  const node = String.UTF8.encode(host);
  const service = String.UTF8.encode("0");
  const mem = new ArrayBuffer(256);
  const base = changetype<usize>(mem);
  const hints = base;            // 28 bytes
  const ai = base + 32;          // 28 bytes
  const sa = base + 64;          // 12 bytes
  const saData = base + 80;      // 32 bytes
  const canon = base + 112;      // 64 bytes
  const resPtr = base + 176;     // u32 -> ai
  const resLen = base + 180;     // u32 out
  store<u16>(hints, 0, 0);       // ai_flags
  store<u8>(hints, <u8>AF_INET4, 2);
  store<u8>(hints, <u8>SOCK_STREAM, 3);
  store<u8>(hints, 0, 4);
  store<u8>(sa, 0, 0);
  store<u32>(sa, 32, 4);
  store<u32>(sa, <u32>saData, 8);
  store<u32>(ai, 16, 8);
  store<u32>(ai, <u32>sa, 12);
  store<u32>(ai, <u32>canon, 16);
  store<u32>(ai, 64, 20);
  store<u32>(ai, 0, 24);
  store<u32>(resPtr, <u32>ai);
  const err = sock_getaddrinfo(changetype<usize>(node), <u32>node.byteLength,
    changetype<usize>(service), <u32>service.byteLength, hints, resPtr, 1, resLen);
  if (err != 0) return -(<i64>err);
  if (load<u32>(resLen) < 1) return -84; // AINONAME
  if (load<u8>(sa) != <u8>AF_INET4) return -81; // AIFAMILY
  // sa_data: port (2 bytes, big-endian) then the 4 address bytes.
  const ip = (<u32>load<u8>(saData, 2) << 24) | (<u32>load<u8>(saData, 3) << 16) |
    (<u32>load<u8>(saData, 4) << 8) | <u32>load<u8>(saData, 5);
  return <i64>ip;
}
