// Shared-memory layout between the main thread (real I/O) and the worker (the Wasm module).
// Everything here is plain numbers so both sides index Int32Arrays without allocating.

/** Control block: one per running module. Indices into an Int32Array. */
export const CTL = {
  /** Bumped (and notified) by the main thread after any state change the worker may wait for. */
  SEQ: 0,
  /** Bumped (and notified) by the worker after it queues commands; the main thread waitAsync()s on it. */
  DOORBELL: 1,
  /** Command ring write index (worker) and read index (main), both free-running counters. */
  CMD_HEAD: 2,
  CMD_TAIL: 3,
  /** Id of the last synchronous request the main thread answered. */
  RESP_ID: 4,
  RESP_ERRNO: 5,
  /** result count of getaddrinfo */
  RESP_V0: 6,
  /** Set to 1 by the main thread when the module must stop (kill). */
  STOP: 10,
  /** Id of the synchronous request the worker is waiting for. */
  REQ_ID: 11,
  /** Set by the worker while it waits for room in the command ring. */
  CMD_FULL: 12,
  /** 1 while the worker sleeps in Atomics.wait: the main thread skips Atomics.notify otherwise. */
  WORKER_WAITING: 13,
  /** 1 while the main thread has a waitAsync armed on DOORBELL: the worker skips notify otherwise. */
  MAIN_ARMED: 14,
  CMD_BASE: 64,
} as const;

/** Number of commands the ring can hold; each command is CMD_WORDS int32s. */
export const CMD_SLOTS = 1024;
export const CMD_WORDS = 4;
/** Byte offset of the argument area used by synchronous requests (addresses, host names). */
export const ARG_OFFSET = (CTL.CMD_BASE + CMD_SLOTS * CMD_WORDS) * 4;
export const ARG_BYTES = 64 * 1024;
export const CTL_BYTES = ARG_OFFSET + ARG_BYTES;

/** Commands from the worker to the main thread: [op, fd, a, b]. */
export const OP = {
  /** async: socket fd was created by sock_open; a = family, b = type. The SAB arrives on the port. */
  OPEN: 1,
  /** async: send ring of fd has data. */
  FLUSH: 2,
  /** async: worker consumed receive data while the socket was paused. */
  RESUME: 3,
  /** async: fd_close on a socket. */
  CLOSE: 4,
  /** sync: shutdown(fd, a = sdflags). */
  SHUTDOWN: 5,
  /** sync: bind(fd); address in the arg area. */
  BIND: 6,
  /** sync: listen(fd, a = backlog). */
  LISTEN: 7,
  /** sync: connect(fd, a = nonblocking); address in the arg area. */
  CONNECT: 8,
  /** sync: getaddrinfo; request and answer in the arg area. */
  GETADDRINFO: 9,
  /** async: keepalive(fd, a = on). */
  KEEPALIVE: 10,
} as const;

/** Per-socket header (Int32Array indices). */
export const S = {
  STATE: 0,
  FLAGS: 1,
  ERR: 2,
  R_HEAD: 3,
  R_TAIL: 4,
  W_HEAD: 5,
  W_TAIL: 6,
  ACC_HEAD: 7,
  ACC_TAIL: 8,
  /** local address: family (1/2), port, 16 address bytes as 4 int32 */
  L_FAM: 9,
  L_PORT: 10,
  L_ADDR: 11,
  P_FAM: 15,
  P_PORT: 16,
  P_ADDR: 17,
  HEADER_WORDS: 32,
} as const;

export const STATE = { OPEN: 0, CONNECTING: 1, CONNECTED: 2, LISTENING: 3, CLOSED: 4 } as const;

export const FLAG = {
  /** peer sent FIN */
  RD_EOF: 1,
  /** socket errored; S.ERR holds the WASI errno */
  ERROR: 2,
  /** main thread paused reading because the receive ring is full */
  PAUSED: 4,
  /** a FLUSH command is queued and not yet processed */
  FLUSH_PENDING: 8,
  /** we shut down our write side */
  WR_SHUT: 16,
  /** a RESUME command is queued */
  RESUME_PENDING: 32,
  /** the worker waits for room in the send ring: wake it when the main thread frees some */
  WANT_SPACE: 64,
  /** Node's write buffer for this socket is over its high-water mark: the send ring will not drain
   *  until the peer reads (what a full kernel send buffer means) */
  BLOCKED: 128,
} as const;

export const HEADER_BYTES = S.HEADER_WORDS * 4;
export const RECV_RING = 64 * 1024;
export const SEND_RING = 64 * 1024;
export const ACCEPT_SLOTS = 4096;
export const RECV_OFFSET = HEADER_BYTES;
export const SEND_OFFSET = RECV_OFFSET + RECV_RING;
export const ACCEPT_OFFSET = SEND_OFFSET + SEND_RING;
export const STREAM_SOCK_BYTES = ACCEPT_OFFSET;
export const LISTEN_SOCK_BYTES = ACCEPT_OFFSET + ACCEPT_SLOTS * 4;

/** Where one socket's header and rings live: a byte offset into a shared slab. */
export interface Slot {
  sab: SharedArrayBuffer;
  off: number;
}

/**
 * Socket buffers are carved out of large slabs (above glibc's largest mmap threshold, so they are
 * fresh mmap'ed pages that cost RSS only when touched) and reused LIFO. One SharedArrayBuffer per
 * socket would come from the malloc heap once glibc raises its threshold, be zeroed (every page
 * touched) by calloc, and be freed only when both threads have garbage-collected it.
 */
export class SlotPool {
  private readonly free: Slot[] = [];
  private readonly stride: number;
  constructor(
    slotBytes: number,
    private readonly perSlab: number,
  ) {
    this.stride = Math.ceil(slotBytes / 4096) * 4096;
  }
  take(): Slot {
    let slot = this.free.pop();
    if (!slot) {
      const sab = new SharedArrayBuffer(this.stride * this.perSlab);
      for (let i = this.perSlab - 1; i > 0; i--) this.free.push({ sab, off: i * this.stride });
      slot = { sab, off: 0 };
    }
    new Int32Array(slot.sab, slot.off, S.HEADER_WORDS).fill(0);
    return slot;
  }
  give(slot: Slot): void {
    this.free.push(slot);
  }
}

/**
 * Random fds like WasmEdge's generateRandomFdToNode: large and positive as i32. Both threads
 * allocate fds, so the worker takes even numbers and the main thread odd ones.
 */
export function randomFd(parity: 0 | 1, taken: (fd: number) => boolean): number {
  for (;;) {
    const fd = ((0x100000 + Math.floor(Math.random() * (0x7fffffff - 0x100000))) & ~1) | parity;
    if (!taken(fd)) return fd;
  }
}
