// 工作台: where each kind of work starts.
import { InboxOutlined, PhoneOutlined, SolutionOutlined } from "@ant-design/icons";
import { Card, Col, Row, Typography } from "antd";
import { Link } from "react-router";
import { useSession } from "../../app/session";

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
    </>
  );
}
