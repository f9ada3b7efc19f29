// 平台运行: the outbox (lag, pending, dead letters), the etcd views (lag behind etcd,
// reloads after a gap) and which background loops have a leader.
import { Card, Typography } from "antd";
import { windowSeconds } from "./api";
import { Filters, Needs, PanelGrid, useNarrowing } from "./parts";

export default function PlatformPage() {
  const [n] = useNarrowing();
  return (
    <Card title="平台运行（发件箱、etcd 视图、后台任务）">
      <Needs store="prometheus">
        <Typography.Paragraph type="secondary">
          发件箱：事件在业务事务中写入，由各服务的投递任务送往接收方；积压与死信说明接收方不可用。etcd 视图：权限策略、租户树与令牌吊销在各服务内的副本。
        </Typography.Paragraph>
        <Filters fields={["service"]} services={["identity", "documents", "matters", "tickets", "legalaid", "stewardship"]} />
        <PanelGrid page="platform" narrowing={n} seconds={windowSeconds(n.window)} />
      </Needs>
    </Card>
  );
}
