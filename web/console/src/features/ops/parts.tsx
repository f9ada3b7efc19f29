// What the ops pages share: the check that the stores are configured (and that the
// caller may read them), the filters kept in the address (so a link carries them), and
// one chart of a panel with its link to example traces.
import { Alert, Card, Empty, Form, Input, Segmented, Select, Skeleton, Table, Typography } from "antd";
import { useMemo, type ReactNode } from "react";
import { Link, useSearchParams } from "react-router";
import { Chart } from "../../shared/Chart";
import { ErrorAlert } from "../../shared/feedback";
import {
  formatValue,
  legend,
  type Narrowing,
  type Panel,
  type PromResult,
  traceLink,
  usePanelSeries,
  usePanelValues,
  useOpsStatus,
  usePanels,
  windowSeconds,
  windows,
} from "./api";

// Needs renders its children once the caller may read the ops routes and the store
// needed is configured; otherwise why not (the stable code of a refusal, or "not
// configured").
export function Needs({ store, children }: { store: "jaeger" | "prometheus"; children: ReactNode }) {
  const q = useOpsStatus();
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!q.data) return <Skeleton active />;
  if (!q.data[store]) {
    const name = store === "jaeger" ? "链路追踪（Jaeger 查询接口）" : "指标存储（Prometheus）";
    return (
      <Alert
        type="warning"
        showIcon
        data-testid="not-configured"
        title={`未配置${name}`}
        description={
          store === "jaeger"
            ? "部署时在 Helm values 的 console.ops.jaegerQueryURL 填写已有 Jaeger 查询接口的地址；gaoxing up 在构建了 Jaeger 时自动配置。"
            : "部署时在 Helm values 的 console.ops.prometheusURL 填写已有 Prometheus 的地址；gaoxing up 在构建了 Prometheus 时自动配置。"
        }
      />
    );
  }
  return <>{children}</>;
}

// useNarrowing is the page's filters, kept in the address.
export function useNarrowing(): [Narrowing & { window: string }, (k: string, v: string | undefined) => void] {
  const [params, setParams] = useSearchParams();
  const n = {
    service: params.get("service") ?? undefined,
    method: params.get("method") ?? undefined,
    tenant: params.get("tenant") ?? undefined,
    window: params.get("window") ?? "1h",
  };
  const set = (k: string, v: string | undefined) =>
    setParams(
      (p) => {
        if (v) p.set(k, v);
        else p.delete(k);
        if (k === "service") p.delete("method");
        return p;
      },
      { replace: true },
    );
  return [n, set];
}

const labelOf = /^[A-Za-z0-9_.-]{1,100}$/;

// Filters are the narrowing a page offers: service and method come from what the
// metrics know (the RED chart's values), the tenant is typed.
export function Filters({ fields, services, methods }: { fields: ("service" | "method" | "tenant")[]; services?: string[]; methods?: string[] }) {
  const [n, set] = useNarrowing();
  return (
    <Form layout="inline" style={{ rowGap: 8, marginBottom: 16 }} aria-label="筛选">
      {fields.includes("service") && (
        <Form.Item label="服务" htmlFor="ops-service">
          <Select
            id="ops-service"
            aria-label="服务"
            allowClear
            showSearch
            placeholder="全部服务"
            style={{ width: 160 }}
            value={n.service}
            options={(services ?? []).map((s) => ({ value: s, label: s }))}
            onChange={(v?: string) => set("service", v)}
          />
        </Form.Item>
      )}
      {fields.includes("method") && (
        <Form.Item label="方法" htmlFor="ops-method">
          <Select
            id="ops-method"
            aria-label="方法"
            allowClear
            showSearch
            placeholder="全部方法"
            style={{ width: 220 }}
            value={n.method}
            disabled={!n.service}
            options={(methods ?? []).map((s) => ({ value: s, label: s }))}
            onChange={(v?: string) => set("method", v)}
          />
        </Form.Item>
      )}
      {fields.includes("tenant") && (
        <Form.Item label="租户" htmlFor="ops-tenant">
          <Input.Search
            id="ops-tenant"
            aria-label="租户编号"
            allowClear
            placeholder="如 ahz.s01.c01"
            style={{ width: 200 }}
            defaultValue={n.tenant}
            onSearch={(v) => set("tenant", labelOf.test(v.trim()) ? v.trim() : undefined)}
          />
        </Form.Item>
      )}
      <Form.Item label="时间范围">
        <Segmented aria-label="时间范围" value={n.window} options={windows.map((w) => ({ label: w.label, value: w.value }))} onChange={(v) => set("window", String(v))} />
      </Form.Item>
    </Form>
  );
}

// PanelGrid draws every panel of a page, narrowed alike.
export function PanelGrid({ page, narrowing, seconds }: { page: string; narrowing: Narrowing; seconds: number }) {
  const q = usePanels();
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!q.data) return <Skeleton active />;
  const panels = q.data.panels.filter((p) => p.page === page);
  return (
    <div className="ops-grid" style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(min(100%, 520px), 1fr))", gap: 16 }}>
      {panels.map((p) => (p.kind === "gauge" ? <GaugePanel key={p.id} panel={p} narrowing={narrowing} seconds={seconds} /> : <SeriesPanel key={p.id} panel={p} narrowing={narrowing} seconds={seconds} />))}
    </div>
  );
}

// PanelLinks are a panel's way to example traces: the calls of the service (and method,
// tenant) it is narrowed to, in its window (failed ones for the error charts).
function PanelLinks({ panel, narrowing, seconds }: { panel: Panel; narrowing: Narrowing; seconds: number }) {
  if (!panel.traces || !narrowing.service) return null;
  return (
    <Link to={traceLink(narrowing, seconds, panel.id === "red.errors" || panel.id === "red.codes" ? { error: "true" } : {})} aria-label={`「${panel.title}」的示例链路`}>
      示例链路
    </Link>
  );
}

// Source names the Grafana panel whose query a chart runs (the query itself on hover).
function Source({ panel }: { panel: Panel }) {
  return (
    <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: "8px 0 0" }} title={panel.queries.map((q) => q.expr).join("\n")}>
      查询同 Grafana 仪表盘 {panel.dashboard}「{panel.dashboardPanel}」
    </Typography.Paragraph>
  );
}

// SeriesPanel is a panel's series over the window, one line each.
function SeriesPanel({ panel, narrowing, seconds }: { panel: Panel; narrowing: Narrowing; seconds: number }) {
  const q = usePanelSeries(panel.id, narrowing, seconds);
  const lines = useMemo(() => series(panel, q.data?.results ?? []), [panel, q.data]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis", valueFormatter: (v: number) => formatValue(panel.unit, v) },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 64, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "time", min: q.data?.start ? Date.parse(q.data.start) : undefined, max: q.data?.end ? Date.parse(q.data.end) : undefined },
      yAxis: { type: "value", axisLabel: { formatter: (v: number) => formatValue(panel.unit, v) } },
      series: lines.map((l) => ({ name: l.name, type: "line", showSymbol: l.points.length <= 3, data: l.points })),
    }),
    [lines, panel.unit, q.data],
  );
  return (
    <Card title={panel.title} size="small" extra={<PanelLinks panel={panel} narrowing={narrowing} seconds={seconds} />} data-panel={panel.id}>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : !q.data ? (
        <Skeleton active />
      ) : lines.length === 0 ? (
        <Empty description="这段时间没有数据" image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <>
          <Chart option={option} height={260} label={`${panel.title}：${lines.map((l) => `${l.name} 最新 ${formatValue(panel.unit, l.last)}`).join("，")}`} />
          <SeriesLinks panel={panel} lines={lines} narrowing={narrowing} seconds={seconds} />
        </>
      )}
      <Source panel={panel} />
    </Card>
  );
}

// SeriesLinks names each line with its latest value and, for lines of calls, a link to
// the traces behind it (its service and method, the chart's window).
function SeriesLinks({ panel, lines, narrowing, seconds }: { panel: Panel; lines: Line[]; narrowing: Narrowing; seconds: number }) {
  return (
    <ul className="ops-series" data-testid={`series-${panel.id}`} style={{ listStyle: "none", padding: 0, margin: "8px 0 0", columns: "2 220px", fontSize: 13 }}>
      {lines.slice(0, 12).map((l) => {
        const service = l.metric.service ?? narrowing.service;
        const to =
          panel.traces && service
            ? traceLink({ service, method: l.metric.method ?? narrowing.method, tenant: l.metric.tenant ?? narrowing.tenant }, seconds, l.metric.code && l.metric.code !== "OK" ? { errorCode: l.metric.code } : {})
            : undefined;
        return (
          <li key={l.name}>
            {to ? (
              <Link to={to} style={{ textDecoration: "underline" }}>
                {l.name}
              </Link>
            ) : (
              l.name
            )}：{formatValue(panel.unit, l.last)}
          </li>
        );
      })}
    </ul>
  );
}

interface Line {
  name: string;
  metric: Record<string, string>;
  points: [number, number][];
  last: number;
}

function series(panel: Panel, results: PromResult[]): Line[] {
  const out: Line[] = [];
  results.forEach((r, i) => {
    for (const s of r.result ?? []) {
      const points = (s.values ?? []).map((v) => [Number(v[0]) * 1000, Number(v[1])] as [number, number]).filter((p) => Number.isFinite(p[1]));
      if (points.length === 0) continue;
      out.push({ name: legend(panel.queries[i]?.legend ?? "", s.metric), metric: s.metric, points, last: points[points.length - 1][1] });
    }
  });
  return out;
}

// GaugePanel is a panel's values now, as bars and a table (SLA: open, due soon, overdue).
function GaugePanel({ panel, narrowing, seconds }: { panel: Panel; narrowing: Narrowing; seconds: number }) {
  const q = usePanelValues(panel.id, narrowing);
  const rows = useMemo(() => {
    const out: { key: string; name: string; query: string; value: number; metric: Record<string, string> }[] = [];
    (q.data?.results ?? []).forEach((r, i) => {
      for (const s of r.result ?? []) {
        const value = Number(s.value?.[1]);
        const name = legend(panel.queries[i]?.legend ?? "", s.metric);
        out.push({ key: `${i}:${name}`, name, query: panel.queries[i]?.legend.split(" ")[0] ?? "", value, metric: s.metric });
      }
    });
    return out.sort((a, b) => b.value - a.value);
  }, [panel, q.data]);
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      grid: { left: 160, right: 24, top: 8, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: rows.slice(0, 12).map((r) => r.name) },
      series: [{ type: "bar", barMaxWidth: 20, data: rows.slice(0, 12).map((r) => ({ value: r.value, itemStyle: { color: /overdue|已超期/.test(r.name) ? "#cf1322" : /due|即将/.test(r.name) ? "#d46b08" : "#1656c9" } })) }],
    }),
    [rows],
  );
  return (
    <Card title={panel.title} size="small" extra={<PanelLinks panel={panel} narrowing={narrowing} seconds={seconds} />} data-panel={panel.id}>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : !q.data ? (
        <Skeleton active />
      ) : rows.length === 0 ? (
        <Empty description="目前没有数据" image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <>
          <Chart option={option} height={Math.max(120, Math.min(rows.length, 12) * 28 + 40)} label={`${panel.title}：${rows.slice(0, 12).map((r) => `${r.name} ${r.value}`).join("，")}`} />
          <Table
            size="small"
            pagination={rows.length > 10 ? { pageSize: 10, size: "small" } : false}
            rowKey="key"
            dataSource={rows}
            columns={[
              { title: "序列", dataIndex: "name" },
              { title: "数量", dataIndex: "value", align: "right", width: 96 },
              {
                title: "链路",
                width: 96,
                render: (_, r) =>
                  r.metric.service ? (
                    <Link to={traceLink({ service: r.metric.service, tenant: r.metric.tenant }, seconds)} aria-label={`${r.name} 的示例链路`}>
                      查看
                    </Link>
                  ) : null,
              },
            ]}
          />
        </>
      )}
      <Source panel={panel} />
    </Card>
  );
}

export { windowSeconds };
