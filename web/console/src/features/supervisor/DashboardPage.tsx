// 督办看板: on-time rates, overdue work and satisfaction over a chosen window, per
// tenant, department or handler, with the weekly trend; every row leads to its records.
import { Card, Col, Row, Segmented, Select, Space, Statistic, Table, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import type { components as M } from "../../api/gen/matters";
import type { components as T } from "../../api/gen/tickets";
import { useSession } from "../../app/session";
import { Chart } from "../../shared/Chart";
import { ErrorAlert } from "../../shared/feedback";
import { useMatterReport, useTicketStats, useTrend, weeks, type Group, type TrendPoint, type Window } from "./api";

type MatterRow = M["schemas"]["v1MatterReport"];
type TicketRow = T["schemas"]["v1TicketStatsRow"];

const groups: { label: string; value: Group }[] = [
  { label: "按单位", value: "tenant" },
  { label: "按部门", value: "department" },
  { label: "按承办人", value: "handler" },
];
const spans = [4, 8, 12, 26].map((n) => ({ label: `近 ${n} 周`, value: n }));

const pct = (x?: number) => `${Math.round((x ?? 0) * 1000) / 10}%`;
const share = (n: number, d: number) => (d > 0 ? n / d : 0);
const num = (x?: string | number) => Number(x ?? 0);

// rowKey names a ticket row by its group: the tenant, then its department or handler.
const ticketKey = (r: TicketRow, g: Group) => [r.tenant, g === "department" ? r.department : g === "handler" ? r.handler : ""].filter(Boolean).join(" · ") || "（未分派）";

export default function DashboardPage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const group = (params.get("group") as Group | null) ?? "tenant";
  const span = Number(params.get("weeks") ?? 8) || 8;
  const set = (g: Group, n: number) => setParams({ group: g, weeks: String(n) }, { replace: true });

  const ws = useMemo(() => weeks(span), [span]);
  const whole: Window = { start: ws[0].start, end: ws[ws.length - 1].end, label: "" };
  const m = useMatterReport(tenant, group, whole);
  const t = useTicketStats(tenant, group, whole);
  const trend = useTrend(tenant, ws);

  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title="督办看板"
        extra={
          <Space wrap>
            <Segmented<Group> aria-label="统计分组" options={groups} value={group} onChange={(g) => set(g, span)} />
            <Select aria-label="统计时段" options={spans} value={span} onChange={(n) => set(group, n)} style={{ width: 112 }} />
          </Space>
        }
      >
        <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
          单位 {tenant} 及其下级，{ws[0].label} 起 {span} 周：办件按办结时间统计，诉求按受理时间统计。
        </Typography.Paragraph>
        <Totals m={m.data?.matters} t={t.data?.rows} />
      </Card>
      <Card title="每周趋势">{trend.error ? <ErrorAlert error={trend.error} /> : <TrendChart points={trend.data} />}</Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title="办件按时办结">
            {m.error ? <ErrorAlert error={m.error} /> : <MatterFigures rows={m.data?.matters} loading={m.isLoading} group={group} tenant={tenant} />}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title="诉求按时办结与满意度">
            {t.error ? <ErrorAlert error={t.error} /> : <TicketFigures rows={t.data?.rows} loading={t.isLoading} group={group} />}
          </Card>
        </Col>
      </Row>
    </Space>
  );
}

function Totals({ m, t }: { m?: MatterRow[]; t?: TicketRow[] }) {
  let completed = 0, onTime = 0;
  for (const r of m ?? []) {
    completed += r.completed ?? 0;
    onTime += Math.round((r.withinTargetShare ?? 0) * (r.completed ?? 0));
  }
  let total = 0, closed = 0, closedOnTime = 0, overdue = 0, rated = 0, satisfied = 0;
  for (const r of t ?? []) {
    total += num(r.total);
    closed += num(r.closed);
    closedOnTime += num(r.closedOnTime);
    overdue += num(r.overdue);
    rated += num(r.rated);
    satisfied += num(r.satisfied);
  }
  const figures = [
    { title: "办结办件", value: String(completed), id: "completed" },
    { title: "办件按时办结率", value: pct(share(onTime, completed)), id: "app-on-time" },
    { title: "受理诉求", value: String(total), id: "tickets" },
    { title: "诉求办结", value: String(closed), id: "closed" },
    { title: "诉求按时办结率", value: pct(share(closedOnTime, closed)), id: "ticket-on-time" },
    { title: "超期未办结", value: String(overdue), id: "overdue" },
    { title: "满意率", value: rated > 0 ? pct(share(satisfied, rated)) : "—", id: "satisfied" },
  ];
  return (
    <Row gutter={[16, 16]}>
      {figures.map((f) => (
        <Col key={f.id} xs={12} md={8} xl={3} data-testid={`figure-${f.id}`}>
          <Statistic title={f.title} value={f.value} />
        </Col>
      ))}
    </Row>
  );
}

function TrendChart({ points }: { points?: TrendPoint[] }) {
  const option = useMemo(() => {
    const p = points ?? [];
    const rate = (n: (x: TrendPoint) => number, d: (x: TrendPoint) => number) => p.map((x) => (d(x) > 0 ? Math.round((n(x) / d(x)) * 1000) / 10 : null));
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 32 },
      xAxis: { type: "category", data: p.map((x) => x.label) },
      yAxis: [
        { type: "value", name: "件", minInterval: 1 },
        { type: "value", name: "%", min: 0, max: 100 },
      ],
      series: [
        { name: "办结办件", type: "bar", barMaxWidth: 24, data: p.map((x) => x.completed), itemStyle: { color: "#91caff" } },
        { name: "受理诉求", type: "bar", barMaxWidth: 24, data: p.map((x) => x.tickets), itemStyle: { color: "#ffd591" } },
        { name: "办件按时办结率", type: "line", yAxisIndex: 1, connectNulls: true, data: rate((x) => x.completedOnTime, (x) => x.completed), itemStyle: { color: "#1656c9" } },
        { name: "诉求按时办结率", type: "line", yAxisIndex: 1, connectNulls: true, data: rate((x) => x.closedOnTime, (x) => x.closed), itemStyle: { color: "#d46b08" } },
        { name: "满意率", type: "line", yAxisIndex: 1, connectNulls: true, data: rate((x) => x.satisfied, (x) => x.rated), itemStyle: { color: "#389e0d" } },
      ],
    };
  }, [points]);
  const p = points ?? [];
  const label = `每周趋势：${p.map((x) => `${x.label} 起办结办件 ${x.completed} 件、受理诉求 ${x.tickets} 件`).join("；")}`;
  return <Chart option={option} height={300} label={label} />;
}

function drillApplications(group: Group, tenant: string, key: string): { to: string; text: string } {
  if (group === "department") return { to: `/clerk/queue?scope=QUEUE_SCOPE_DEPARTMENT&key=${encodeURIComponent(key)}`, text: "在办件" };
  const q = new URLSearchParams({ kind: "applications", tenant: group === "tenant" ? key : tenant, state: "STATE_COMPLETED" });
  if (group === "handler") q.set("handler", key);
  return { to: `/supervisor/records?${q}`, text: "查看办件" };
}

function MatterFigures({ rows, loading, group, tenant }: { rows?: MatterRow[]; loading: boolean; group: Group; tenant: string }) {
  const data = rows ?? [];
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: data.map((r) => r.key || "（未填）"), axisLabel: { rotate: data.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ name: "按时办结率", type: "bar", barMaxWidth: 40, data: data.map((r) => Math.round((r.withinTargetShare ?? 0) * 1000) / 10), itemStyle: { color: "#1656c9" } }],
    }),
    [data],
  );
  const columns: ColumnsType<MatterRow> = [
    { title: groups.find((g) => g.value === group)?.label.slice(1) ?? "分组", dataIndex: "key", render: (k: string) => k || "（未填）" },
    { title: "办结", dataIndex: "completed", align: "right", render: (x?: number) => x ?? 0 },
    // Zero is left out of the JSON (proto3), so an absent figure reads 0.
    { title: "用时中位数（工作日）", dataIndex: "medianWorkingDays", align: "right", render: (x?: number) => x ?? 0 },
    { title: "按时办结率", dataIndex: "withinTargetShare", align: "right", render: (x: number) => pct(x) },
    {
      title: "明细",
      key: "drill",
      render: (_, r) => {
        const d = drillApplications(group, tenant, r.key ?? "");
        return (
          <Link to={d.to} aria-label={`${d.text}：${r.key || "未填"}`}>
            {d.text}
          </Link>
        );
      },
    },
  ];
  return (
    <>
      {data.length > 0 && <Chart option={option} height={240} label={`按时办结率：${data.map((r) => `${r.key || "未填"} ${pct(r.withinTargetShare)}`).join("，")}`} />}
      <Table<MatterRow> rowKey="key" size="small" columns={columns} dataSource={data} loading={loading} pagination={false} locale={{ emptyText: "时段内没有办结的办件" }} scroll={{ x: true }} />
    </>
  );
}

function TicketFigures({ rows, loading, group }: { rows?: TicketRow[]; loading: boolean; group: Group }) {
  const data = rows ?? [];
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 56 },
      xAxis: { type: "category", data: data.map((r) => ticketKey(r, group)), axisLabel: { rotate: data.length > 4 ? 30 : 0 } },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [
        { name: "按时签收率", type: "bar", barMaxWidth: 28, data: data.map((r) => Math.round((r.responseOnTimeRate ?? 0) * 1000) / 10), itemStyle: { color: "#91caff" } },
        { name: "按时办结率", type: "bar", barMaxWidth: 28, data: data.map((r) => Math.round((r.closeOnTimeRate ?? 0) * 1000) / 10), itemStyle: { color: "#d46b08" } },
        { name: "满意率", type: "bar", barMaxWidth: 28, data: data.map((r) => Math.round((r.satisfiedRate ?? 0) * 1000) / 10), itemStyle: { color: "#389e0d" } },
      ],
    }),
    [data, group],
  );
  const drill = (r: TicketRow, extra: Record<string, string>) => `/supervisor/records?${new URLSearchParams({ kind: "tickets", tenant: r.tenant ?? "", ...extra })}`;
  const columns: ColumnsType<TicketRow> = [
    { title: "承办", key: "key", render: (_, r) => ticketKey(r, group) },
    { title: "受理", dataIndex: "total", align: "right", render: (x?: string) => x ?? "0" },
    { title: "办结", dataIndex: "closed", align: "right", render: (x?: string) => x ?? "0" },
    { title: "按时办结率", dataIndex: "closeOnTimeRate", align: "right", render: (x: number) => pct(x) },
    { title: "超期", dataIndex: "overdue", align: "right", render: (x: string, r) => (num(x) > 0 ? <Link to={drill(r, { overdue: "1" })} aria-label={`超期工单：${ticketKey(r, group)}`} style={{ color: "#cf1322" }}>{x}</Link> : (x ?? "0")) },
    { title: "满意率", dataIndex: "satisfiedRate", align: "right", render: (x: number, r) => (num(r.rated) > 0 ? pct(x) : "—") },
    { title: "明细", key: "drill", render: (_, r) => <Link to={drill(r, {})} aria-label={`查看工单：${ticketKey(r, group)}`}>查看工单</Link> },
  ];
  return (
    <>
      {data.length > 0 && <Chart option={option} height={240} label={`诉求按时办结率与满意率：${data.map((r) => `${ticketKey(r, group)} 按时办结 ${pct(r.closeOnTimeRate)}`).join("，")}`} />}
      <Table<TicketRow>
        rowKey={(r) => ticketKey(r, group)}
        size="small"
        columns={columns}
        dataSource={data}
        loading={loading}
        pagination={false}
        locale={{ emptyText: "时段内没有受理的诉求" }}
        scroll={{ x: true }}
      />
    </>
  );
}
