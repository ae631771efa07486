// IMF-fixdate for the Date response header, recomputed at most once per second.
import { wallMs } from "../abi/wasi";

const DAYS: string[] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: string[] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

let cachedSecond: i64 = -1;
let cached: string = "";

function pad2(v: i64): string {
  return v < 10 ? "0" + v.toString() : v.toString();
}

export function formatHttpDate(epochSec: i64): string {
  const days = epochSec / 86400;
  const secs = epochSec % 86400;
  // Civil-from-days (proleptic Gregorian).
  const z = days + 719468;
  const era = z / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  return DAYS[<i32>(days % 7)] + ", " + pad2(d) + " " + MONTHS[<i32>(m - 1)] + " " + y.toString() + " " +
    pad2(secs / 3600) + ":" + pad2((secs / 60) % 60) + ":" + pad2(secs % 60) + " GMT";
}

export function httpDate(): string {
  const sec = wallMs() / 1000;
  if (sec != cachedSecond) {
    cachedSecond = sec;
    cached = formatHttpDate(sec);
  }
  return cached;
}
