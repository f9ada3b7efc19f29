// 链路详情: one trace as a waterfall — every span a bar on the trace's time line, indented
// under the span that called it and coloured by its service; a span's attributes open on
// click (or Enter).
import { Button, Card, Descriptions, Drawer, Skeleton, Space, Table, Tag, Typography } from "antd";
import dayjs from "dayjs";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { ErrorAlert } from "../../shared/feedback";
import { formatMicros, useTrace, type KeyValue, type Span, type Trace } from "./api";
import { Needs } from "./parts";
import { isError, summarize } from "./TracesPage";

// Colours of services: distinct, and dark enough for the legend tags' white text (4.5:1).
const palette = ["#1656c9", "#237804", "#9e1068", "#ad4e00", "#006d75", "#531dab", "#614700", "#434f5e"];

export default function TracePage() {
  const { id = "" } = useParams();
  return (
    <Card title={`链路 ${id}`} extra={<Link to="/ops/traces">返回链路查询</Link>}>
      <Needs store="jaeger">
        <Waterfall id={id} />
      </Needs>
    </Card>
  );
}

interface Row {
  span: Span;
  service: string;
  depth: number;
}

// order puts each span after the span that called it, siblings by start time.
function order(t: Trace): Row[] {
  const byParent = new Map<string, Span[]>();
  const ids = new Set(t.spans.map((s) => s.spanID));
  const roots: Span[] = [];
  for (const s of t.spans) {
    const parent = (s.references ?? []).find((r) => r.refType === "CHILD_OF" && ids.has(r.spanID))?.spanID;
    if (parent) byParent.set(parent, [...(byParent.get(parent) ?? []), s]);
    else roots.push(s);
  }
  const rows: Row[] = [];
  const visit = (s: Span, depth: number) => {
    rows.push({ span: s, service: t.processes[s.processID]?.serviceName ?? "?", depth });
    for (const c of (byParent.get(s.spanID) ?? []).sort((a, b) => a.startTime - b.startTime)) visit(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startTime - b.startTime)) visit(r, 0);
  return rows;
}

function Waterfall({ id }: { id: string }) {
  const q = useTrace(id);
  const [open, setOpen] = useState<Row>();
  const t = q.data?.data?.[0];
  const view = useMemo(() => {
    if (!t) return undefined;
    const rows = order(t);
    const sum = summarize(t);
    const colours = new Map(sum.services.map((s, i) => [s, palette[i % palette.length]]));
    return { rows, sum, colours };
  }, [t]);
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!view) return <Skeleton active />;
  const { rows, sum, colours } = view;
  const total = Math.max(sum.duration, 1);
  return (
    <>
      <Descriptions
        size="small"
        column={{ xs: 1, md: 2, xl: 4 }}
        items={[
          { key: "root", label: "入口", children: sum.root?.operationName },
          { key: "start", label: "开始于", children: dayjs(sum.start / 1000).format("YYYY-MM-DD HH:mm:ss.SSS") },
          { key: "duration", label: "耗时", children: formatMicros(sum.duration) },
          { key: "spans", label: "跨度", children: `${sum.spans} 个，${sum.services.length} 个服务` },
        ]}
      />
      <Space wrap style={{ margin: "8px 0 12px" }} aria-label="服务图例">
        {sum.services.map((s) => (
          <Tag key={s} color={colours.get(s)}>
            {s}
          </Tag>
        ))}
        {sum.failed && <Tag color="red">含失败的跨度</Tag>}
      </Space>
      <div className="ops-waterfall" role="list" aria-label="跨度时间线" data-testid="waterfall">
        {rows.map((r) => {
          const left = ((r.span.startTime - sum.start) / total) * 100;
          const width = Math.max((r.span.duration / total) * 100, 0.3);
          const failed = isError(r.span);
          return (
            <div role="listitem" key={r.span.spanID} style={{ display: "grid", gridTemplateColumns: "minmax(180px, 38%) 1fr 88px", alignItems: "center", gap: 8, borderBottom: "1px solid #f0f0f0" }}>
              <Button
                type="text"
                size="small"
                onClick={() => setOpen(r)}
                aria-label={`${r.service} ${r.span.operationName}，${formatMicros(r.span.duration)}${failed ? "，失败" : ""}：查看属性`}
                style={{ justifyContent: "flex-start", paddingLeft: 4 + r.depth * 14, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", color: failed ? "#cf1322" : undefined }}
              >
                <span style={{ display: "inline-block", width: 8, height: 8, borderRadius: 4, background: colours.get(r.service), marginRight: 6 }} aria-hidden />
                {r.span.operationName}
              </Button>
              <div style={{ position: "relative", height: 18 }} aria-hidden>
                <div
                  onClick={() => setOpen(r)}
                  title={`${r.service} · ${r.span.operationName} · ${formatMicros(r.span.duration)}`}
                  style={{
                    position: "absolute",
                    left: `${Math.min(left, 99.7)}%`,
                    width: `${width}%`,
                    top: 3,
                    bottom: 3,
                    background: colours.get(r.service),
                    borderRadius: 2,
                    cursor: "pointer",
                    outline: failed ? "2px solid #cf1322" : undefined,
                  }}
                />
              </div>
              <Typography.Text type="secondary" style={{ fontSize: 12, textAlign: "right" }}>
                {formatMicros(r.span.duration)}
              </Typography.Text>
            </div>
          );
        })}
      </div>
      <Drawer open={!!open} onClose={() => setOpen(undefined)} title={open ? `${open.service} · ${open.span.operationName}` : ""} size="large">
        {open && <SpanDetail row={open} traceStart={sum.start} />}
      </Drawer>
    </>
  );
}

function SpanDetail({ row, traceStart }: { row: Row; traceStart: number }) {
  const s = row.span;
  const value = (kv: KeyValue) => (typeof kv.value === "string" ? kv.value : JSON.stringify(kv.value));
  return (
    <>
      <Descriptions
        size="small"
        column={1}
        bordered
        items={[
          { key: "svc", label: "服务", children: row.service },
          { key: "op", label: "操作", children: s.operationName },
          { key: "start", label: "开始（相对链路）", children: formatMicros(s.startTime - traceStart) },
          { key: "dur", label: "耗时", children: formatMicros(s.duration) },
          { key: "id", label: "跨度编号", children: <code>{s.spanID}</code> },
        ]}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        属性
      </Typography.Title>
      <Table
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={[...s.tags].sort((a, b) => a.key.localeCompare(b.key))}
        data-testid="span-attributes"
        columns={[
          { title: "键", dataIndex: "key", width: "40%", render: (k: string) => <code>{k}</code> },
          { title: "值", render: (_, kv: KeyValue) => <span style={{ wordBreak: "break-all" }}>{value(kv)}</span> },
        ]}
      />
      {(s.logs ?? []).length > 0 && (
        <>
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            事件
          </Typography.Title>
          {(s.logs ?? []).map((l, i) => (
            <Descriptions
              key={i}
              size="small"
              column={1}
              title={formatMicros(l.timestamp - traceStart)}
              items={l.fields.map((f) => ({ key: f.key, label: f.key, children: value(f) }))}
            />
          ))}
        </>
      )}
    </>
  );
}
