// The list of tickets: overdue rows tinted, urges and hard cases marked, live countdowns
// to the response and closing deadlines.
import { Badge, Space, Table, Tag } from "antd";
import type { ColumnsType } from "antd/es/table";
import { Link } from "react-router";
import { split } from "../../api/client";
import { priorityLabel, sourceLabel, ticketStateLabel, type Ticket } from "../../shared/labels";
import { Countdown, formatTime, isOverdue } from "../../shared/time";

export function ticketLink(name?: string): string {
  const { tenant, id } = split(name ?? "");
  return `/hotline/tickets/${tenant}/${id}`;
}

const done = (t: Ticket) => t.state === "STATE_CLOSED" || t.state === "STATE_VISITED" || t.state === "STATE_RATED";

const columns: ColumnsType<Ticket> = [
  { title: "工单号", dataIndex: "name", render: (n: string) => <Link to={ticketLink(n)}>{split(n).id}</Link> },
  {
    title: "标题",
    dataIndex: "title",
    render: (title: string, t) => (
      <Space size={4} wrap>
        {title}
        {t.hardCase && <Tag color="magenta">疑难件</Tag>}
        {(t.urgeCount ?? 0) > 0 && <Badge count={`督办 ${t.urgeCount}`} style={{ backgroundColor: "#fa541c" }} />}
        {(t.coHandlers ?? []).length > 0 && <Tag color="purple">联办 {t.coHandlers!.length}</Tag>}
      </Space>
    ),
  },
  { title: "来源", dataIndex: "source", render: (s: string) => sourceLabel[s] ?? s, responsive: ["lg"] },
  {
    title: "优先级",
    dataIndex: "priority",
    render: (p: string) => {
      const l = priorityLabel[p ?? "PRIORITY_UNSPECIFIED"];
      return <Tag color={l.color}>{l.text}</Tag>;
    },
    responsive: ["md"],
  },
  {
    title: "状态",
    dataIndex: "state",
    render: (s: Ticket["state"]) => {
      const l = ticketStateLabel[s ?? "STATE_UNSPECIFIED"];
      return <Tag color={l.color}>{l.text}</Tag>;
    },
  },
  {
    title: "响应期限",
    render: (_, t) => (t.responseTime || done(t) ? "已响应" : <Countdown due={t.responseDue} paused={t.paused} provisional={t.responseDueProvisional} label="响应期限" />),
    responsive: ["md"],
  },
  {
    title: "办结期限",
    render: (_, t) => (done(t) ? formatTime(t.closeDue) : <Countdown due={t.closeDue} paused={t.paused} provisional={t.closeDueProvisional} label="办结期限" />),
  },
  { title: "承办单位", dataIndex: "assigneeTenant", responsive: ["xl"] },
  { title: "受理时间", dataIndex: "createTime", render: formatTime, responsive: ["xl"] },
];

export function TicketTable({ rows, loading, caption }: { rows?: Ticket[]; loading: boolean; caption: string }) {
  return (
    <Table<Ticket>
      rowKey="name"
      size="middle"
      columns={columns}
      dataSource={rows}
      loading={loading}
      pagination={false}
      scroll={{ x: "max-content" }}
      rowClassName={(t) => (!done(t) && isOverdue(t.closeDue) ? "row-overdue" : "")}
      locale={{ emptyText: "没有工单" }}
      aria-label={caption}
    />
  );
}
