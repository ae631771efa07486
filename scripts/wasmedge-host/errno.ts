// WASI preview1 errno values (plus WasmEdge's getaddrinfo extensions) and the mapping from
// Node's error codes, which carry the Linux errno names.

export const E = {
  SUCCESS: 0,
  TOOBIG: 1,
  ACCES: 2,
  ADDRINUSE: 3,
  ADDRNOTAVAIL: 4,
  AFNOSUPPORT: 5,
  AGAIN: 6,
  ALREADY: 7,
  BADF: 8,
  BUSY: 10,
  CONNABORTED: 13,
  CONNREFUSED: 14,
  CONNRESET: 15,
  EXIST: 20,
  FAULT: 21,
  HOSTUNREACH: 23,
  INPROGRESS: 26,
  INTR: 27,
  INVAL: 28,
  IO: 29,
  ISCONN: 30,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  MSGSIZE: 35,
  NAMETOOLONG: 37,
  NETDOWN: 38,
  NETUNREACH: 40,
  NOENT: 44,
  NOMEM: 48,
  NOSPC: 51,
  NOSYS: 52,
  NOTCONN: 53,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTSOCK: 57,
  NOTSUP: 58,
  OVERFLOW: 61,
  PERM: 63,
  PIPE: 64,
  ROFS: 69,
  SPIPE: 70,
  TIMEDOUT: 73,
  XDEV: 75,
  NOTCAPABLE: 76,
  AIADDRFAMILY: 77,
  AIAGAIN: 78,
  AIBADFLAG: 79,
  AIFAIL: 80,
  AIFAMILY: 81,
  AIMEMORY: 82,
  AINODATA: 83,
  AINONAME: 84,
  AISERVICE: 85,
  AISOCKTYPE: 86,
  AISYSTEM: 87,
} as const;

const byNodeCode: Record<string, number> = {
  E2BIG: E.TOOBIG,
  EACCES: E.ACCES,
  EADDRINUSE: E.ADDRINUSE,
  EADDRNOTAVAIL: E.ADDRNOTAVAIL,
  EAFNOSUPPORT: E.AFNOSUPPORT,
  EAGAIN: E.AGAIN,
  EALREADY: E.ALREADY,
  EBADF: E.BADF,
  EBUSY: E.BUSY,
  ECONNABORTED: E.CONNABORTED,
  ECONNREFUSED: E.CONNREFUSED,
  ECONNRESET: E.CONNRESET,
  EEXIST: E.EXIST,
  EFAULT: E.FAULT,
  EHOSTUNREACH: E.HOSTUNREACH,
  EINPROGRESS: E.INPROGRESS,
  EINTR: E.INTR,
  EINVAL: E.INVAL,
  EIO: E.IO,
  EISCONN: E.ISCONN,
  EISDIR: E.ISDIR,
  ELOOP: E.LOOP,
  EMFILE: E.MFILE,
  EMSGSIZE: E.MSGSIZE,
  ENAMETOOLONG: E.NAMETOOLONG,
  ENETDOWN: E.NETDOWN,
  ENETUNREACH: E.NETUNREACH,
  ENOENT: E.NOENT,
  ENOMEM: E.NOMEM,
  ENOSPC: E.NOSPC,
  ENOSYS: E.NOSYS,
  ENOTCONN: E.NOTCONN,
  ENOTDIR: E.NOTDIR,
  ENOTEMPTY: E.NOTEMPTY,
  ENOTSOCK: E.NOTSOCK,
  ENOTSUP: E.NOTSUP,
  EOVERFLOW: E.OVERFLOW,
  EPERM: E.PERM,
  EPIPE: E.PIPE,
  EROFS: E.ROFS,
  ESPIPE: E.SPIPE,
  ETIMEDOUT: E.TIMEDOUT,
  EXDEV: E.XDEV,
};

/** WASI errno for a Node error (fs, net, dgram). Unknown codes become EIO. */
export function errnoOf(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && code in byNodeCode) return byNodeCode[code];
  return E.IO;
}

/** getaddrinfo failures (dns.lookup codes) mapped to WasmEdge's AI* errnos. */
export function aiErrnoOf(err: unknown): number {
  switch ((err as { code?: unknown } | null)?.code) {
    case "ENOTFOUND":
      return E.AINONAME;
    case "EAI_AGAIN":
    case "ETIMEOUT":
      return E.AIAGAIN;
    case "ENODATA":
      return E.AINODATA;
    case "EAI_FAMILY":
      return E.AIFAMILY;
    case "EAI_SERVICE":
      return E.AISERVICE;
    case "EAI_MEMORY":
      return E.AIMEMORY;
    default:
      return E.AIFAIL;
  }
}

/** Linux errno numbers, for SO_ERROR which hands raw kernel values to the guest. */
export const LINUX_ERRNO_OF_WASI: Record<number, number> = {
  [E.CONNREFUSED]: 111,
  [E.CONNRESET]: 104,
  [E.TIMEDOUT]: 110,
  [E.HOSTUNREACH]: 113,
  [E.NETUNREACH]: 101,
  [E.PIPE]: 32,
  [E.CONNABORTED]: 103,
  [E.ADDRINUSE]: 98,
  [E.ADDRNOTAVAIL]: 99,
  [E.IO]: 5,
};
