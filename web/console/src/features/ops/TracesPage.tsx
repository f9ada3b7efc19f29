// 链路查询: find traces by service, method, tenant, error code and duration within a
// window (from Jaeger, through the console's routes); a chart's link arrives here with
// the search filled in and run.
import { Button, Card, Checkbox, DatePicker, Form, Input, InputNumber, Select, Space, Table, Tag, Typography } from "antd";
import dayjs, { type Dayjs } from "dayjs";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { ErrorAlert } from "../../shared/feedback";
import { formatMicros, useOperations, useTraceSearch, useTraceServices, type Trace, type TraceQuery } from "./api";
import { Needs } from "./parts";

export default function TracesPage() {
  return (
    <Card title="链路查询">
      <Needs store="jaeger">
        <Search />
      </Needs>
    </Card>
  );
}

interface Fields {
  service?: string;
  operation?: string;
  tenant?: string;
  errorCode?: string;
  error?: boolean;
  minDuration?: number; // milliseconds
  range?: [Dayjs, Dayjs];
  limit?: number;
}

function Search() {
  const [params, setParams] = useSearchParams();
  const [form] = Form.useForm<Fields>();
  const service = Form.useWatch("service", form) ?? params.get("service") ?? undefined;
  const services = useTraceServices();
  const operations = useOperations(service);

  // The search is the address: a link from a chart, a refresh or a shared address runs it.
  const query: TraceQuery | undefined = useMemo(() => {
    const s = params.get("service");
    if (!s) return undefined;
    const end = params.get("end") ?? String(Math.ceil(Date.now() / 1000));
    return {
      service: s,
      operation: params.get("operation") ?? undefined,
      tenant: params.get("tenant") ?? undefined,
      errorCode: params.get("errorCode") ?? undefined,
      error: params.get("error") === "true" ? true : undefined,
      minDuration: params.get("minDuration") ?? undefined,
      start: params.get("start") ?? String(Number(end) - 3600),
      end,
      limit: Number(params.get("limit") ?? 20),
    };
  }, [params]);
  const found = useTraceSearch(query);

  const initial: Fields = {
    service: query?.service,
    operation: query?.operation,
    tenant: query?.tenant,
    errorCode: query?.errorCode,
    error: query?.error,
    minDuration: query?.minDuration ? Math.round(parseDuration(query.minDuration)) : undefined,
    range: query ? [dayjs.unix(Number(query.start)), dayjs.unix(Number(query.end))] : [dayjs().subtract(1, "hour"), dayjs()],
    limit: query?.limit ?? 20,
  };

  const submit = (f: Fields) => {
    const p = new URLSearchParams();
    if (f.service) p.set("service", f.service);
    if (f.operation) p.set("operation", f.operation);
    if (f.tenant) p.set("tenant", f.tenant.trim());
    if (f.errorCode) p.set("errorCode", f.errorCode.trim().toUpperCase());
    if (f.error) p.set("error", "true");
    if (f.minDuration) p.set("minDuration", `${f.minDuration}ms`);
    const [from, to] = f.range ?? [dayjs().subtract(1, "hour"), dayjs()];
    p.set("start", String(from.unix()));
    p.set("end", String(to.unix()));
    p.set("limit", String(f.limit ?? 20));
    setParams(p);
  };

  return (
    <>
      <Form key={params.toString()} form={form} layout="inline" initialValues={initial} onFinish={submit} style={{ rowGap: 8, marginBottom: 16 }} aria-label="链路查询条件">
        <Form.Item name="service" label="服务" rules={[{ required: true, message: "请选择服务" }]}>
          <Select
            aria-label="服务"
            showSearch
            placeholder="选择服务"
            style={{ width: 160 }}
            loading={services.isLoading}
            options={(services.data?.data ?? []).filter((s) => !s.startsWith("jaeger")).sort().map((s) => ({ value: s, label: s }))}
            onChange={() => form.setFieldValue("operation", undefined)}
          />
        </Form.Item>
        <Form.Item name="operation" label="方法">
          <Select aria-label="方法" allowClear showSearch placeholder="全部方法" style={{ width: 260 }} options={(operations.data?.data ?? []).sort().map((s) => ({ value: s, label: s }))} />
        </Form.Item>
        <Form.Item name="tenant" label="租户" rules={[{ pattern: /^[a-z0-9]+(\.[a-z0-9]+)*$/, message: "租户编号如 ahz.s01.c01" }]}>
          <Input aria-label="租户" allowClear placeholder="如 ahz.s01.c01" style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="errorCode" label="错误码" rules={[{ pattern: /^[A-Za-z][A-Za-z0-9_]*$/, message: "错误码由字母、数字和下划线组成" }]}>
          <Input aria-label="错误码" allowClear placeholder="如 UNAVAILABLE" style={{ width: 170 }} />
        </Form.Item>
        <Form.Item name="error" valuePropName="checked">
          <Checkbox>只看失败</Checkbox>
        </Form.Item>
        <Form.Item name="minDuration" label="最短耗时">
          <InputNumber aria-label="最短耗时（毫秒）" min={0} max={3_600_000} suffix="毫秒" style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="range" label="时间">
          <DatePicker.RangePicker
            showTime
            aria-label="时间范围"
            disabledDate={(d) => d.isAfter(dayjs()) || d.isBefore(dayjs().subtract(7, "day").startOf("day"))}
            presets={[
              { label: "最近 15 分钟", value: () => [dayjs().subtract(15, "minute"), dayjs()] },
              { label: "最近 1 小时", value: () => [dayjs().subtract(1, "hour"), dayjs()] },
              { label: "最近 1 天", value: () => [dayjs().subtract(1, "day"), dayjs()] },
            ]}
          />
        </Form.Item>
        <Form.Item name="limit" label="条数">
          <InputNumber aria-label="最多条数" min={1} max={100} style={{ width: 80 }} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit">
            查询
          </Button>
        </Form.Item>
      </Form>
      {found.error ? <ErrorAlert error={found.error} /> : query ? <Results traces={found.data?.data} loading={found.isLoading} /> : <Typography.Text type="secondary">选择服务后查询。</Typography.Text>}
    </>
  );
}

function parseDuration(s: string): number {
  const m = /^([\d.]+)(us|µs|ms|s|m|h)?$/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return n * ({ us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "ms"] ?? 1);
}

// summary of a trace: its first span, its services, its length, whether it failed.
export function summarize(t: Trace) {
  const spans = t.spans ?? [];
  const ids = new Set(spans.map((s) => s.spanID));
  const root = spans.find((s) => !(s.references ?? []).some((r) => r.refType === "CHILD_OF" && ids.has(r.spanID))) ?? spans[0];
  const start = Math.min(...spans.map((s) => s.startTime));
  const end = Math.max(...spans.map((s) => s.startTime + s.duration));
  const services = [...new Set(spans.map((s) => t.processes[s.processID]?.serviceName ?? "?"))].sort();
  const failed = spans.some(isError);
  const tag = (k: string) => spans.map((s) => s.tags.find((x) => x.key === k)?.value).find((v) => v !== undefined);
  return { root, start, duration: end - start, services, failed, spans: spans.length, tenant: tag("gaoxing.tenant") as string | undefined, code: tag("gaoxing.error_code") as string | undefined };
}

export function isError(s: { tags: { key: string; value?: unknown }[] }): boolean {
  return s.tags.some((t) => (t.key === "error" && (t.value === true || t.value === "true")) || (t.key === "otel.status_code" && t.value === "ERROR"));
}

function Results({ traces, loading }: { traces?: Trace[]; loading: boolean }) {
  const rows = useMemo(() => (traces ?? []).map((t) => ({ id: t.traceID, ...summarize(t) })).sort((a, b) => b.start - a.start), [traces]);
  return (
    <Table
      loading={loading}
      rowKey="id"
      dataSource={rows}
      pagination={rows.length > 20 ? { pageSize: 20 } : false}
      locale={{ emptyText: <Typography.Text type="secondary">这段时间没有符合条件的链路</Typography.Text> }}
      data-testid="trace-results"
      columns={[
        {
          title: "链路",
          render: (_, r) => (
            <Space orientation="vertical" size={0}>
              <Link to={`/ops/traces/${r.id}`}>{r.root?.operationName ?? r.id}</Link>
              <Typography.Text type="secondary" style={{ fontSize: 12 }} copyable={{ text: r.id }}>
                {r.id}
              </Typography.Text>
            </Space>
          ),
        },
        { title: "服务", render: (_, r) => r.services.map((s) => <Tag key={s}>{s}</Tag>) },
        { title: "租户", width: 120, render: (_, r) => r.tenant ?? "—" },
        { title: "结果", width: 150, render: (_, r) => (r.failed ? <Tag color="red">{r.code ?? "失败"}</Tag> : <Tag color="green">成功</Tag>) },
        { title: "跨度", dataIndex: "spans", width: 72, align: "right" },
        { title: "耗时", width: 110, align: "right", render: (_, r) => formatMicros(r.duration) },
        { title: "开始于", width: 190, render: (_, r) => dayjs(r.start / 1000).format("YYYY-MM-DD HH:mm:ss.SSS") },
      ]}
    />
  );
}
