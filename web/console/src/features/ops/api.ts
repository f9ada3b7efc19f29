// The ops pages' data: the console's own routes in front of Jaeger and Prometheus
// (services/console/ops.go). The browser never talks to either store.
import { useQuery } from "@tanstack/react-query";
import { consoleApi, data } from "../../api/client";
import type { components } from "../../api/gen/console";

export type Panel = components["schemas"]["consoleOpsPanel"];
export type PromResult = components["schemas"]["consolePromResult"];
export type Trace = components["schemas"]["consoleTrace"];
export type Span = components["schemas"]["consoleSpan"];
export type KeyValue = components["schemas"]["consoleKeyValue"];
export type Alert = components["schemas"]["consoleAlert"];

// Narrowing is what a chart is narrowed by: exact values, or every value when unsaid.
export interface Narrowing {
  service?: string;
  method?: string;
  tenant?: string;
}

const refresh = 30_000; // charts and alerts follow the stores every half minute

export function useOpsStatus() {
  return useQuery({ queryKey: ["ops", "status"], retry: false, queryFn: () => data(consoleApi.GET("/v1/ops/status")) });
}

export function usePanels() {
  return useQuery({
    queryKey: ["ops", "panels"],
    retry: false,
    staleTime: Infinity,
    queryFn: () => data(consoleApi.GET("/v1/ops/panels")),
  });
}

// usePanelSeries reads a chart over the last `seconds` (the window moves with each refresh).
export function usePanelSeries(panel: string, n: Narrowing, seconds: number, enabled = true) {
  return useQuery({
    queryKey: ["ops", "series", panel, n, seconds],
    enabled,
    retry: false,
    refetchInterval: refresh,
    queryFn: () => {
      const end = Date.now() / 1000;
      return data(
        consoleApi.GET("/v1/ops/panels/{panel}/series", {
          params: { path: { panel }, query: { ...clean(n), start: String(end - seconds), end: String(end) } },
        }),
      );
    },
  });
}

export function usePanelValues(panel: string, n: Narrowing, enabled = true) {
  return useQuery({
    queryKey: ["ops", "values", panel, n],
    enabled,
    retry: false,
    refetchInterval: refresh,
    queryFn: () => data(consoleApi.GET("/v1/ops/panels/{panel}/values", { params: { path: { panel }, query: clean(n) } })),
  });
}

export function useAlerts(enabled = true) {
  return useQuery({ queryKey: ["ops", "alerts"], enabled, retry: false, refetchInterval: refresh, queryFn: () => data(consoleApi.GET("/v1/ops/alerts")) });
}

export function useRules(enabled = true) {
  return useQuery({ queryKey: ["ops", "rules"], enabled, retry: false, queryFn: () => data(consoleApi.GET("/v1/ops/rules")) });
}

export function useTraceServices(enabled = true) {
  return useQuery({ queryKey: ["ops", "services"], enabled, retry: false, queryFn: () => data(consoleApi.GET("/v1/ops/services")) });
}

export function useOperations(service: string | undefined) {
  return useQuery({
    queryKey: ["ops", "operations", service],
    enabled: !!service,
    retry: false,
    queryFn: () => data(consoleApi.GET("/v1/ops/services/{service}/operations", { params: { path: { service: service ?? "" } } })),
  });
}

export interface TraceQuery {
  service: string;
  operation?: string;
  tenant?: string;
  errorCode?: string;
  error?: boolean;
  minDuration?: string;
  start: string;
  end: string;
  limit?: number;
}

export function useTraceSearch(q: TraceQuery | undefined) {
  return useQuery({
    queryKey: ["ops", "traces", q],
    enabled: !!q,
    retry: false,
    queryFn: () => data(consoleApi.GET("/v1/ops/traces", { params: { query: q as TraceQuery } })),
  });
}

export function useTrace(id: string) {
  return useQuery({
    queryKey: ["ops", "trace", id],
    retry: false,
    staleTime: Infinity,
    queryFn: () => data(consoleApi.GET("/v1/ops/traces/{trace}", { params: { path: { trace: id } } })),
  });
}

function clean(n: Narrowing): Narrowing {
  const out: Narrowing = {};
  if (n.service) out.service = n.service;
  if (n.method) out.method = n.method;
  if (n.tenant) out.tenant = n.tenant;
  return out;
}

// legend fills a Grafana legend ({{service}}.{{method}}) from a series' labels.
export function legend(format: string, metric: Record<string, string>): string {
  const s = format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => metric[k] ?? "");
  return s.trim() || Object.values(metric).join(" ") || "—";
}

// formatValue shows a number in the panel's unit (Grafana's unit names).
export function formatValue(unit: string, v: number): string {
  if (!Number.isFinite(v)) return "—";
  switch (unit) {
    case "reqps":
      return `${v === 0 ? "0" : v < 0.1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(0)} 次/秒`;
    case "percentunit":
      return `${(v * 100).toFixed(v < 0.01 && v > 0 ? 2 : 1)} %`;
    case "s":
      return v < 1 ? `${(v * 1000).toFixed(v < 0.01 ? 1 : 0)} 毫秒` : `${v.toFixed(2)} 秒`;
    default:
      return Number.isInteger(v) ? String(v) : v.toFixed(2);
  }
}

// microseconds, as Jaeger counts, read by people.
export function formatMicros(us: number): string {
  if (us < 1000) return `${us} 微秒`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} 毫秒`;
  return `${(us / 1_000_000).toFixed(2)} 秒`;
}

// The time windows a page offers, in seconds.
export const windows = [
  { label: "15 分钟", value: "15m", seconds: 900 },
  { label: "1 小时", value: "1h", seconds: 3600 },
  { label: "6 小时", value: "6h", seconds: 6 * 3600 },
  { label: "1 天", value: "1d", seconds: 86400 },
  { label: "7 天", value: "7d", seconds: 7 * 86400 },
];

export function windowSeconds(value: string | null): number {
  return (windows.find((w) => w.value === value) ?? windows[1]).seconds;
}

// traceLink is the trace search narrowed to a chart's service, method or tenant and its
// window: where an operator finds example calls behind a line.
export function traceLink(n: Narrowing, seconds: number, extra: Record<string, string> = {}): string {
  const end = Math.ceil(Date.now() / 1000);
  const p = new URLSearchParams({ start: String(end - seconds), end: String(end) });
  if (n.service) p.set("service", n.service);
  if (n.service && n.method) p.set("operation", `${n.service}.${n.method}`);
  if (n.tenant) p.set("tenant", n.tenant);
  for (const [k, v] of Object.entries(extra)) p.set(k, v);
  return `/ops/traces?${p}`;
}
