// Time as clerks read it: Beijing time, zh-CN, and live countdowns to a deadline.
import { Tag, Tooltip } from "antd";
import dayjs from "dayjs";
import { useSyncExternalStore } from "react";

// One ticking clock for every countdown on the page (one timer, not one per row).
const listeners = new Set<() => void>();
let now = Date.now();
let timer: number | undefined;
function subscribe(fn: () => void) {
  listeners.add(fn);
  if (timer === undefined) {
    timer = window.setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, 1000);
  }
  return () => {
    listeners.delete(fn);
    if (listeners.size === 0 && timer !== undefined) {
      window.clearInterval(timer);
      timer = undefined;
    }
  };
}

export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}

export function formatTime(t?: string): string {
  return t ? dayjs(t).format("YYYY-MM-DD HH:mm") : "—";
}

// remaining reads a duration the way a deadline is spoken: 2天3小时, 45分12秒.
export function remaining(ms: number): string {
  const abs = Math.abs(ms);
  const d = Math.floor(abs / 86_400_000);
  const h = Math.floor((abs % 86_400_000) / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = Math.floor((abs % 60_000) / 1000);
  if (d > 0) return `${d}天${h}小时`;
  if (h > 0) return `${h}小时${m}分`;
  return `${m}分${s}秒`;
}

// Countdown shows the time left to a deadline, live: green, then orange within a day,
// red and "已超期" once passed; "暂停" while the clock is paused.
export function Countdown({ due, paused, provisional, label }: { due?: string; paused?: boolean; provisional?: boolean; label?: string }) {
  const t = useNow();
  if (!due) return <span>—</span>;
  const left = dayjs(due).valueOf() - t;
  const title = `${label ?? "期限"}：${formatTime(due)}${provisional ? "（日历未发布，暂按自然日估算）" : ""}`;
  if (paused) {
    return (
      <Tooltip title={title}>
        <Tag color="default">已暂停</Tag>
      </Tooltip>
    );
  }
  const color = left < 0 ? "red" : left < 86_400_000 ? "orange" : "green";
  return (
    <Tooltip title={title}>
      <Tag color={color} aria-label={`${label ?? "期限"}${left < 0 ? "已超期" : "剩余"}${remaining(left)}`}>
        {left < 0 ? `已超期 ${remaining(left)}` : `剩余 ${remaining(left)}`}
      </Tag>
    </Tooltip>
  );
}

export function isOverdue(due?: string): boolean {
  return !!due && dayjs(due).valueOf() < Date.now();
}
