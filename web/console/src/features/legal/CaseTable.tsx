// The list of cases: the registration countdown on the 1-working-day clock while a case
// waits to be registered, then the trial clock's days used and left.
import { Space, Table, Tag, Tooltip, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { Link } from "react-router";
import { split } from "../../api/client";
import { formatYuan } from "../../shared/money";
import { Countdown, formatTime } from "../../shared/time";
import { caseStateLabel, caseTypeLabel, registering, trialDays, type Case } from "./api";

export function caseLink(name?: string): string {
  const { tenant, id } = split(name ?? "");
  return `/legal/cases/${tenant}/${id}`;
}

// TrialDays shows the trial clock as days used and left.
export function TrialDays({ c }: { c: Case }) {
  const d = trialDays(c);
  if (!d) return <span>—</span>;
  const color = d.left < 0 ? "red" : d.left <= 10 ? "orange" : "green";
  const text = d.left < 0 ? `已用 ${d.used} 天，超 ${-d.left} 天` : `已用 ${d.used} 天，剩 ${d.left} 天`;
  return (
    <Tooltip title={`审限 ${d.limit} 天（扣除中止期间，含批准延长）；届满：${formatTime(c.trial?.dueTime)}`}>
      <Space size={4}>
        <Tag color={color}>{text}</Tag>
        {c.trial?.paused && <Tag>审限中止</Tag>}
      </Space>
    </Tooltip>
  );
}

export function Deadline({ c }: { c: Case }) {
  if (registering(c)) return <Countdown due={c.registrationDueTime} label="立案期限" />;
  if (c.trial?.dueTime && c.state !== "STATE_CLOSED") return <TrialDays c={c} />;
  return <span>{c.registrationTime ? `${formatTime(c.registrationTime)} 立案` : "—"}</span>;
}

const columns: ColumnsType<Case> = [
  { title: "案件编号", dataIndex: "name", render: (n: string) => <Link to={caseLink(n)}>{split(n).id}</Link> },
  {
    title: "申请企业",
    render: (_, c) => (
      <Space orientation="vertical" size={0}>
        <span>{c.applicant?.name}</span>
        <span style={{ fontSize: 12, color: "rgba(0,0,0,0.62)" }}>{c.applicant?.creditCode}</span>
      </Space>
    ),
  },
  { title: "对方当事人", render: (_, c) => (c.counterparties ?? []).map((p) => p.name).join("、") || "—", responsive: ["lg"] },
  { title: "类型", dataIndex: "caseType", render: (t: Case["caseType"]) => caseTypeLabel[t ?? "CASE_TYPE_UNSPECIFIED"], responsive: ["md"] },
  { title: "标的额", dataIndex: "claimAmount", render: (a: string) => formatYuan(a), responsive: ["xl"] },
  {
    title: "状态",
    dataIndex: "state",
    render: (s: Case["state"], c) => {
      const l = caseStateLabel[s ?? "STATE_UNSPECIFIED"];
      return (
        <Space size={4} wrap>
          <Tag color={l.color}>{l.text}</Tag>
          {c.urgency === "URGENCY_URGENT" && <Tag color="red">紧急</Tag>}
        </Space>
      );
    },
  },
  { title: "案号", dataIndex: "courtCaseNumber", render: (n: string) => n || "—", responsive: ["lg"] },
  { title: "立案期限 / 审限", render: (_, c) => <Deadline c={c} /> },
  { title: "受理时间", dataIndex: "createTime", render: formatTime, responsive: ["xl"] },
];

export function CaseTable({ rows, loading }: { rows?: Case[]; loading: boolean }) {
  return (
    <Table<Case>
      rowKey="name"
      size="middle"
      columns={columns}
      dataSource={rows}
      loading={loading}
      pagination={false}
      scroll={{ x: "max-content" }}
      locale={{ emptyText: <Typography.Text type="secondary">没有案件</Typography.Text> }}
      aria-label="涉企案件"
    />
  );
}
