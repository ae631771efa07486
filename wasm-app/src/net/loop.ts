// Single-threaded event loop over poll_oneoff. Every socket is nonblocking; each
// iteration subscribes to FD_READ/FD_WRITE for what each participant wants plus one
// relative CLOCK subscription for the nearest deadline, then dispatches.
import {
  poll_oneoff, nowNs, SUBSCRIPTION_SIZE, EVENT_SIZE, EVENTTYPE_CLOCK, EVENTTYPE_FD_READ,
  EVENTTYPE_FD_WRITE, EVENTRWFLAGS_HANGUP,
} from "../abi/wasi";

export const NO_DEADLINE: i64 = i64.MAX_VALUE;
const CLOCK_USERDATA: u64 = 0xFFFFFFFFFFFFFFFF;
const IDLE_WAIT_MS: i64 = 60000;
// WASI preview1 has no persistent interest set: every poll_oneoff hands the runtime the whole list, and
// WasmEdge 0.14.1 makes one epoll_ctl per listed fd per call. With 2,000 idle keep-alive connections that
// cost more than the requests themselves. So while the loop is busy, participants that say they may wait
// (idle connections) are listed only every SWEEP_EVERY_MS; a quiet round (nothing dispatched) lists all.
const SWEEP_EVERY_MS: i64 = 50;

export abstract class Pollable {
  fd: u32 = 0;
  closed: bool = false;
  abstract wantRead(): bool;
  abstract wantWrite(): bool;
  /** Monotonic ms at which onTimer should run, or NO_DEADLINE. */
  abstract deadline(): i64;
  abstract onReadable(hangup: bool): void;
  abstract onWritable(): void;
  abstract onTimer(nowMs: i64): void;
  /** poll_oneoff reported an error for this fd (e.g. it was closed under us). */
  abstract onPollError(errno: u32): void;
  /** May this participant be left out of a busy round (checked at most every SWEEP_EVERY_MS)? */
  mayDefer(nowMs: i64): bool { return false; }
}

/** Number of the current poll round (a participant's per-round budgets reset when it changes). */
export let roundNo: u32 = 0;

/** Monotonic clock of the current wake-up, shared by everything dispatched in it. */
export let wakeNs: u64 = 0;
export let loopNowMs: i64 = 0;

export function refreshClock(): void {
  wakeNs = nowNs();
  loopNowMs = <i64>(wakeNs / 1000000);
}

export class EventLoop {
  items: Pollable[] = new Array<Pollable>();
  subs: ArrayBuffer = new ArrayBuffer(64 * <i32>SUBSCRIPTION_SIZE);
  events: ArrayBuffer = new ArrayBuffer(64 * <i32>EVENT_SIZE);
  out: ArrayBuffer = new ArrayBuffer(8);
  /** the previous round dispatched at least one fd event */
  busy: bool = false;
  lastSweepMs: i64 = 0;

  add(p: Pollable): void {
    this.items.push(p);
  }

  private sweep(): void {
    let j = 0;
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const p = items[i];
      if (!p.closed) {
        if (i != j) items[j] = p;
        j++;
      }
    }
    items.length = j;
  }

  /** One poll + dispatch round. Returns false if poll_oneoff itself fails. */
  runOnce(): bool {
    this.sweep();
    const items = this.items;
    const maxSubs = items.length * 2 + 1;
    if (this.subs.byteLength < maxSubs * <i32>SUBSCRIPTION_SIZE) {
      this.subs = new ArrayBuffer(maxSubs * 2 * <i32>SUBSCRIPTION_SIZE);
      this.events = new ArrayBuffer(maxSubs * 2 * <i32>EVENT_SIZE);
    }
    const subs = changetype<usize>(this.subs);
    let n: u32 = 0;
    let nearest: i64 = NO_DEADLINE;
    refreshClock();
    const sweep = !this.busy || loopNowMs - this.lastSweepMs >= SWEEP_EVERY_MS;
    if (sweep) this.lastSweepMs = loopNowMs;
    let deferred = false;
    for (let i = 0; i < items.length; i++) {
      const p = items[i];
      const d = p.deadline();
      if (d < nearest) nearest = d;
      if (!sweep && p.mayDefer(loopNowMs)) { deferred = true; continue; }
      if (p.wantRead()) {
        writeFdSub(subs + <usize>n * SUBSCRIPTION_SIZE, (<u64>i << 1), EVENTTYPE_FD_READ, p.fd);
        n++;
      }
      if (p.wantWrite()) {
        writeFdSub(subs + <usize>n * SUBSCRIPTION_SIZE, (<u64>i << 1) | 1, EVENTTYPE_FD_WRITE, p.fd);
        n++;
      }
    }
    // Deferred participants are listed again at the next sweep at the latest.
    if (deferred && this.lastSweepMs + SWEEP_EVERY_MS < nearest) nearest = this.lastSweepMs + SWEEP_EVERY_MS;
    let waitMs: i64 = nearest == NO_DEADLINE ? IDLE_WAIT_MS : nearest - loopNowMs;
    if (waitMs < 0) waitMs = 0;
    if (waitMs > IDLE_WAIT_MS) waitMs = IDLE_WAIT_MS;
    const c = subs + <usize>n * SUBSCRIPTION_SIZE;
    memory.fill(c, 0, SUBSCRIPTION_SIZE);
    store<u64>(c, CLOCK_USERDATA, 0);
    store<u8>(c, EVENTTYPE_CLOCK, 8);
    store<u32>(c, 1 /* MONOTONIC */, 16);
    store<u64>(c, <u64>waitMs * 1000000, 24);
    store<u64>(c, 1000000, 32); // 1 ms precision
    n++;
    const evs = changetype<usize>(this.events);
    const outp = changetype<usize>(this.out);
    const err = poll_oneoff(subs, evs, n, outp);
    if (err != 0) return false;
    const got = load<u32>(outp);
    roundNo++;
    refreshClock();
    let dispatched = false;
    for (let k: u32 = 0; k < got; k++) {
      const e = evs + <usize>k * EVENT_SIZE;
      const ud = load<u64>(e, 0);
      if (ud == CLOCK_USERDATA) continue;
      const idx = <i32>(ud >> 1);
      if (idx >= items.length) continue;
      const p = items[idx];
      if (p.closed) continue;
      const perr = <u32>load<u16>(e, 8);
      const type = load<u8>(e, 10);
      dispatched = true;
      if (perr != 0) { p.onPollError(perr); continue; }
      if (type == EVENTTYPE_FD_READ) {
        const hangup = (load<u16>(e, 24) & EVENTRWFLAGS_HANGUP) != 0;
        p.onReadable(hangup);
      } else if (type == EVENTTYPE_FD_WRITE) {
        p.onWritable();
      }
    }
    this.busy = dispatched;
    refreshClock();
    for (let i = 0; i < items.length; i++) {
      const p = items[i];
      if (!p.closed && p.deadline() <= loopNowMs) p.onTimer(loopNowMs);
    }
    return true;
  }
}

function writeFdSub(at: usize, userdata: u64, tag: u8, fd: u32): void {
  memory.fill(at, 0, SUBSCRIPTION_SIZE);
  store<u64>(at, userdata, 0);
  store<u8>(at, tag, 8);
  store<u32>(at, fd, 16);
}
