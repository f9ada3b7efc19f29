// 工作台: where each kind of work starts.
import { InboxOutlined, PhoneOutlined, SolutionOutlined } from "@ant-design/icons";
import { useQuery } from "@tanstack/react-query";
import { Card, Col, Row, Typography } from "antd";
import dayjs from "dayjs";
import { useMemo } from "react";
import { Link } from "react-router";
import { data, matters } from "../../api/client";
import { useSession } from "../../app/session";
import { Chart } from "../../shared/Chart";

const entries = [
  { to: "/clerk/intake", icon: <InboxOutlined />, title: "待受理", text: "窗口收件：受理、容缺受理、补正告知、不予受理" },
  { to: "/clerk/queue", icon: <SolutionOutlined />, title: "办件队列", text: "我的、本窗口、本部门、本辖区的在办件，超期优先、绿色通道置顶" },
  { to: "/hotline/inbox", icon: <PhoneOutlined />, title: "12345 诉求工单", text: "签收、答复、办结、退回、延期、联合办理" },
];

export default function HomePage() {
  const { profile, tenant } = useSession();
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        您好，{profile.name}
      </Typography.Title>
      <Typography.Paragraph type="secondary">当前单位：{tenant}。请选择今天的工作。</Typography.Paragraph>
      <Row gutter={[16, 16]}>
        {entries.map((e) => (
          <Col key={e.to} xs={24} md={12} xl={8}>
            <Link to={e.to}>
              <Card hoverable>
                <Card.Meta avatar={<span style={{ fontSize: 28, color: "#1656c9" }}>{e.icon}</span>} title={e.title} description={e.text} />
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
      <DeadlineChart tenant={tenant} />
    </>
  );
}

const buckets = ["已超期", "1 天内到期", "3 天内到期", "7 天内到期", "更晚"];

// DeadlineChart shows how close the tenant's most pressing open applications are to
// their promised deadlines. People without access to applications see nothing.
function DeadlineChart({ tenant }: { tenant: string }) {
  const q = useQuery({
    queryKey: ["queue-summary", tenant],
    retry: false,
    queryFn: () =>
      data(matters.GET("/v1/tenants/{tenant}/queue", { params: { path: { tenant }, query: { scope: "QUEUE_SCOPE_TENANT", pageSize: 500 } } })),
  });
  const option = useMemo(() => {
    const counts = buckets.map(() => 0);
    const now = dayjs();
    for (const a of q.data?.applications ?? []) {
      const days = dayjs(a.promisedDueTime).diff(now, "day", true);
      counts[days < 0 ? 0 : days < 1 ? 1 : days < 3 ? 2 : days < 7 ? 3 : 4]++;
    }
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 16, bottom: 32 },
      xAxis: { type: "category", data: buckets },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 56, data: counts.map((v, i) => ({ value: v, itemStyle: { color: ["#cf1322", "#d46b08", "#d4b106", "#1656c9", "#389e0d"][i] } })) }],
    };
  }, [q.data]);
  if (!q.data || (q.data.applications ?? []).length === 0) return null;
  return (
    <Card title="本单位在办件的剩余时限（最紧迫的 500 件）" style={{ marginTop: 16 }}>
      <Chart option={option} label={`在办件剩余时限分布：${buckets.map((b, i) => `${b} ${option.series[0].data[i].value} 件`).join("，")}`} />
    </Card>
  );
}
