// 督办明细: the records behind a figure of the supervisor's board — a tenant's (or a
// handler's) applications, or a tenant's tickets, overdue ones alone if asked — each
// with a way to its page and to its audit trail.
import { Card, Segmented, Space, Switch, Table, Tag } from "antd";
import type { ColumnsType } from "antd/es/table";
import { Link, useSearchParams } from "react-router";
import { split } from "../../api/client";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { appStateLabel, ticketStateLabel, type Application, type Ticket } from "../../shared/labels";
import { Pager, usePageTokens } from "../../shared/paging";
import { formatTime } from "../../shared/time";
import { useApplications, useTickets } from "./api";

type Kind = "applications" | "tickets";

export const auditLink = (service: string, name?: string) => `/supervisor/audit?${new URLSearchParams({ service, tenant: split(name ?? "").tenant, resource: name ?? "" })}`;

export default function RecordsPage() {
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const kind = (params.get("kind") as Kind | null) ?? "applications";
  const tenant = params.get("tenant") || session.tenant;
  const handler = params.get("handler") ?? "";
  const state = params.get("state") ?? "";
  const overdue = params.get("overdue") === "1";
  const update = (p: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(p)) if (v) next.set(k, v); else next.delete(k);
    setParams(next, { replace: true });
  };
  return (
    <Card
      title="督办明细"
      extra={
        <Space wrap>
          <Segmented<Kind>
            aria-label="记录类型"
            options={[
              { label: "办件", value: "applications" },
              { label: "诉求工单", value: "tickets" },
            ]}
            value={kind}
            onChange={(k) => update({ kind: k, state: "", handler: "", overdue: "" })}
          />
          {kind === "tickets" && (
            <label>
              <Space size={4}>
                <Switch size="small" checked={overdue} onChange={(v) => update({ overdue: v ? "1" : "" })} aria-label="只看超期" />
                只看超期
              </Space>
            </label>
          )}
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <Tag color="blue">单位 {tenant} 及其下级</Tag>
        {handler && <Tag>承办人 {handler}</Tag>}
        {state && <Tag>{kind === "applications" ? appStateLabel[state as keyof typeof appStateLabel]?.text : ticketStateLabel[state as keyof typeof ticketStateLabel]?.text}</Tag>}
      </Space>
      {kind === "applications" ? <Applications tenant={tenant} handler={handler} state={state} /> : <Tickets tenant={tenant} state={state} overdue={overdue} />}
    </Card>
  );
}

const appColumns: ColumnsType<Application> = [
  { title: "办件编号", dataIndex: "name", render: (n: string) => <Link to={`/clerk/applications/${split(n).tenant}/${split(n).id}`}>{split(n).id}</Link> },
  { title: "单位", dataIndex: "name", key: "tenant", render: (n: string) => split(n).tenant },
  { title: "申请人", dataIndex: ["applicant", "name"] },
  { title: "状态", dataIndex: "state", render: (s: Application["state"]) => s && <Tag color={appStateLabel[s].color}>{appStateLabel[s].text}</Tag> },
  { title: "承办人", dataIndex: "handler" },
  { title: "承诺时限", dataIndex: "promisedDueTime", render: (x?: string) => formatTime(x) },
  { title: "办结时间", dataIndex: "completeTime", render: (x?: string) => formatTime(x) },
  { title: "审计", key: "audit", render: (_, a) => <Link to={auditLink("matters", a.name)} aria-label={`审计轨迹：${split(a.name ?? "").id}`}>审计轨迹</Link> },
];

function Applications({ tenant, handler, state }: { tenant: string; handler: string; state: string }) {
  const paging = usePageTokens(`${tenant}|${handler}|${state}`);
  const q = useApplications(tenant, handler, state, paging.token);
  if (q.error) return <ErrorAlert error={q.error} />;
  return (
    <>
      <Table<Application> rowKey="name" size="small" columns={appColumns} dataSource={q.data?.applications} loading={q.isLoading} pagination={false} locale={{ emptyText: "没有办件" }} scroll={{ x: true }} />
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </>
  );
}

const ticketColumns: ColumnsType<Ticket> = [
  { title: "工单号", dataIndex: "name", render: (n: string) => <Link to={`/hotline/tickets/${split(n).tenant}/${split(n).id}`}>{split(n).id}</Link> },
  { title: "标题", dataIndex: "title" },
  { title: "状态", dataIndex: "state", render: (s: Ticket["state"]) => s && <Tag color={ticketStateLabel[s].color}>{ticketStateLabel[s].text}</Tag> },
  { title: "承办", key: "assignee", render: (_, t) => [t.assigneeTenant, t.assigneeDepartment].filter(Boolean).join(" · ") },
  { title: "办结时限", dataIndex: "closeDue", render: (x?: string) => formatTime(x) },
  { title: "满意", dataIndex: "satisfied", render: (s: boolean | undefined, t) => (t.rated ? (s ? "满意" : "不满意") : "—") },
  { title: "审计", key: "audit", render: (_, t) => <Link to={auditLink("tickets", t.name)} aria-label={`审计轨迹：${split(t.name ?? "").id}`}>审计轨迹</Link> },
];

function Tickets({ tenant, state, overdue }: { tenant: string; state: string; overdue: boolean }) {
  const paging = usePageTokens(`${tenant}|${state}|${overdue}`);
  const q = useTickets(tenant, state, overdue, paging.token);
  if (q.error) return <ErrorAlert error={q.error} />;
  return (
    <>
      <Table<Ticket> rowKey="name" size="small" columns={ticketColumns} dataSource={q.data?.tickets} loading={q.isLoading} pagination={false} locale={{ emptyText: "没有工单" }} scroll={{ x: true }} />
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </>
  );
}
