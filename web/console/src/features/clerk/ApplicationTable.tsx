// The list of applications both the intake and the queues show: overdue rows tinted,
// green channel marked, live countdowns to the promised deadline.
import { ThunderboltOutlined } from "@ant-design/icons";
import { Table, Tag, Tooltip } from "antd";
import type { ColumnsType } from "antd/es/table";
import { Link } from "react-router";
import { split } from "../../api/client";
import { appStateLabel, channelLabel, type Application } from "../../shared/labels";
import { Countdown, formatTime, isOverdue } from "../../shared/time";

export function appLink(name?: string): string {
  const { tenant, id } = split(name ?? "");
  return `/clerk/applications/${tenant}/${id}`;
}

const columns: ColumnsType<Application> = [
  {
    title: "办件编号",
    dataIndex: "name",
    render: (name: string, a) => (
      <>
        <Link to={appLink(name)}>{split(name).id}</Link>
        {a.greenChannel && (
          <Tooltip title="绿色通道：优先办理">
            <Tag color="green" icon={<ThunderboltOutlined />} style={{ marginLeft: 6 }}>
              绿色通道
            </Tag>
          </Tooltip>
        )}
      </>
    ),
  },
  { title: "事项", dataIndex: "matter", render: (m: string) => m?.replace("matters/", ""), responsive: ["md"] },
  { title: "申请人", render: (_, a) => a.applicant?.name ?? "—" },
  {
    title: "状态",
    dataIndex: "state",
    render: (s: Application["state"]) => {
      const l = appStateLabel[s ?? "STATE_UNSPECIFIED"];
      return <Tag color={l.color}>{l.text}</Tag>;
    },
  },
  {
    title: "承诺期限",
    render: (_, a) => <Countdown due={a.promisedDueTime} paused={a.paused} provisional={a.dueProvisional} label="承诺期限" />,
  },
  { title: "法定期限", dataIndex: "statutoryDueTime", render: formatTime, responsive: ["xl"] },
  { title: "渠道", dataIndex: "channel", render: (c: string) => channelLabel[c] ?? c, responsive: ["lg"] },
  { title: "单位", render: (_, a) => split(a.name ?? "").tenant, responsive: ["lg"] },
  { title: "提交时间", dataIndex: "createTime", render: formatTime, responsive: ["xl"] },
];

export function ApplicationTable({ rows, loading, caption }: { rows?: Application[]; loading: boolean; caption: string }) {
  return (
    <Table<Application>
      rowKey="name"
      size="middle"
      columns={columns}
      dataSource={rows}
      loading={loading}
      pagination={false}
      scroll={{ x: "max-content" }}
      rowClassName={(a) => (a.state !== "STATE_COMPLETED" && isOverdue(a.promisedDueTime) ? "row-overdue" : "")}
      locale={{ emptyText: "没有办件" }}
      aria-label={caption}
    />
  );
}
