// 办件详情: one application — who and what, its deadlines counting down, the actions its
// state allows, its materials and its timeline; and the two forms clerks print.
import { PrinterOutlined, ThunderboltOutlined } from "@ant-design/icons";
import { Button, Card, Col, Descriptions, Row, Skeleton, Space, Tag, Typography } from "antd";
import { Link, useParams } from "react-router";
import { ErrorAlert } from "../../shared/feedback";
import { appStateLabel, channelLabel } from "../../shared/labels";
import { Countdown, formatTime } from "../../shared/time";
import { Actions } from "./Actions";
import { AppTimeline } from "./Timeline";
import { Materials } from "./Materials";
import { useAlerts, useApplication, useMatter } from "./api";

export default function ApplicationPage() {
  const { tenant = "", id = "" } = useParams();
  const q = useApplication(tenant, id);
  const app = q.data;
  const matter = useMatter(app?.matter, app?.matterVersion);
  const alerts = useAlerts(tenant, id);
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!app) return <Skeleton active />;
  const state = appStateLabel[app.state ?? "STATE_UNSPECIFIED"];
  const open = app.state !== "STATE_COMPLETED" && app.state !== "STATE_REJECTED" && app.state !== "STATE_WITHDRAWN" && app.state !== "STATE_TERMINATED";
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={
          <Space wrap>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {matter.data?.title ?? app.matter}
            </Typography.Title>
            <Tag color={state.color} data-testid="app-state">
              {state.text}
            </Tag>
            {app.greenChannel && (
              <Tag color="green" icon={<ThunderboltOutlined />}>
                绿色通道
              </Tag>
            )}
          </Space>
        }
        extra={
          <Space wrap className="no-print">
            <Link to="print/receipt">
              <Button icon={<PrinterOutlined />}>受理回执</Button>
            </Link>
            <Link to="print/notice">
              <Button icon={<PrinterOutlined />}>一次性告知单</Button>
            </Link>
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 2, xl: 3 }} bordered>
          <Descriptions.Item label="办件编号">{id}</Descriptions.Item>
          <Descriptions.Item label="申请人">{app.applicant?.name ?? "—"}</Descriptions.Item>
          <Descriptions.Item label="联系电话">{app.applicant?.phone || "—"}</Descriptions.Item>
          <Descriptions.Item label="统一社会信用代码">{app.applicant?.creditCode || "—"}</Descriptions.Item>
          <Descriptions.Item label="渠道">{channelLabel[app.channel ?? "CHANNEL_UNSPECIFIED"]}</Descriptions.Item>
          <Descriptions.Item label="办理单位">{tenant}</Descriptions.Item>
          <Descriptions.Item label="部门">{app.department || "—"}</Descriptions.Item>
          <Descriptions.Item label="窗口">{app.window || "—"}</Descriptions.Item>
          <Descriptions.Item label="承办人">{app.handler || "—"}</Descriptions.Item>
          <Descriptions.Item label="提交时间">{formatTime(app.createTime)}</Descriptions.Item>
          <Descriptions.Item label="承诺期限">
            {open ? <Countdown due={app.promisedDueTime} paused={app.paused} provisional={app.dueProvisional} label="承诺期限" /> : formatTime(app.promisedDueTime)}
          </Descriptions.Item>
          <Descriptions.Item label="法定期限">
            {open ? <Countdown due={app.statutoryDueTime} paused={app.paused} provisional={app.dueProvisional} label="法定期限" /> : formatTime(app.statutoryDueTime)}
          </Descriptions.Item>
          {app.stepDueTime && open && (
            <Descriptions.Item label="本环节期限">
              <Countdown due={app.stepDueTime} paused={app.paused} label="本环节期限" />
            </Descriptions.Item>
          )}
          {app.commitmentDueTime && (
            <Descriptions.Item label="容缺补齐期限">
              <Countdown due={app.commitmentDueTime} label="容缺补齐期限" />
            </Descriptions.Item>
          )}
          {app.completeTime && <Descriptions.Item label="办结时间">{formatTime(app.completeTime)}</Descriptions.Item>}
          {app.mailing && (
            <Descriptions.Item label="邮寄">
              {app.mailing.carrier} {app.mailing.trackingNumber}
            </Descriptions.Item>
          )}
        </Descriptions>
        <div style={{ marginTop: 16 }} className="no-print">
          <Actions app={app} matter={matter.data} />
        </div>
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={14}>
          <Card title="申请材料">
            <Materials app={app} materials={matter.data?.materials ?? []} />
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card title="办理过程">
            <AppTimeline app={app} alerts={alerts.data?.alerts ?? []} />
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
