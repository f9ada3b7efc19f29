// 告警: what Prometheus is alerting on now (the chart's rules), and every rule with its
// state; each alert of a service links to its failed calls.
import { Badge, Card, Descriptions, Space, Table, Tag, Typography } from "antd";
import { Link } from "react-router";
import { ErrorAlert } from "../../shared/feedback";
import { traceLink, useAlerts, useRules, type Alert } from "./api";
import { Needs } from "./parts";

const stateTag: Record<string, { color: string; text: string }> = {
  firing: { color: "red", text: "告警中" },
  pending: { color: "orange", text: "待确认" },
  inactive: { color: "green", text: "正常" },
};

export default function AlertsPage() {
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card title="当前告警">
        <Needs store="prometheus">
          <Firing />
        </Needs>
      </Card>
      <Card title="告警规则">
        <Needs store="prometheus">
          <Rules />
        </Needs>
      </Card>
    </Space>
  );
}

function Firing() {
  const q = useAlerts();
  if (q.error) return <ErrorAlert error={q.error} />;
  const alerts = q.data?.alerts ?? [];
  return (
    <Table<Alert>
      loading={q.isLoading}
      rowKey={(a) => JSON.stringify(a.labels)}
      dataSource={alerts}
      pagination={false}
      locale={{ emptyText: <Typography.Text type="secondary">没有告警</Typography.Text> }}
      columns={[
        { title: "状态", width: 96, render: (_, a) => <Tag color={stateTag[a.state]?.color}>{stateTag[a.state]?.text ?? a.state}</Tag> },
        { title: "告警", render: (_, a) => <Typography.Text strong>{a.labels.alertname}</Typography.Text> },
        { title: "级别", width: 88, render: (_, a) => a.labels.severity ?? "—" },
        { title: "说明", render: (_, a) => a.annotations.summary ?? a.annotations.description ?? "" },
        { title: "开始于", width: 180, render: (_, a) => (a.activeAt ? new Date(a.activeAt).toLocaleString("zh-CN") : "—") },
        {
          title: "链路",
          width: 110,
          render: (_, a) =>
            a.labels.service ? (
              <Link to={traceLink({ service: a.labels.service }, 3600, { error: "true" })} aria-label={`${a.labels.alertname} 的失败调用链路`}>
                失败的调用
              </Link>
            ) : null,
        },
      ]}
    />
  );
}

function Rules() {
  const q = useRules();
  if (q.error) return <ErrorAlert error={q.error} />;
  const rules = (q.data?.groups ?? []).flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name })));
  return (
    <Table
      loading={q.isLoading}
      rowKey={(r) => r.group + "/" + r.name}
      dataSource={rules}
      pagination={false}
      locale={{ emptyText: <Typography.Text type="secondary">没有加载告警规则（gaoxing up --alert-rules，或集群中 Prometheus 的规则）</Typography.Text> }}
      expandable={{
        expandedRowRender: (r) => (
          <Descriptions size="small" column={1} items={[
            { key: "q", label: "表达式", children: <code style={{ whiteSpace: "pre-wrap" }}>{r.query}</code> },
            { key: "d", label: "持续", children: `${r.duration ?? 0} 秒` },
            { key: "s", label: "说明", children: r.annotations?.summary ?? r.annotations?.description ?? "—" },
          ]} />
        ),
      }}
      columns={[
        { title: "状态", width: 96, render: (_, r) => <Badge status={r.state === "firing" ? "error" : r.state === "pending" ? "warning" : "success"} text={stateTag[r.state]?.text ?? r.state} /> },
        { title: "规则", dataIndex: "name" },
        { title: "组", dataIndex: "group", width: 160 },
        { title: "级别", width: 88, render: (_, r) => r.labels?.severity ?? "—" },
      ]}
    />
  );
}
