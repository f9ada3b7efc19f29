// 时限监控: open, due-soon and overdue cases per tenant and matter or category now, and
// the SLA thresholds crossed — the chart's operations and SLA dashboards' queries.
import { Card, Typography } from "antd";
import { windowSeconds } from "./api";
import { Filters, Needs, PanelGrid, useNarrowing } from "./parts";

export default function SlaPage() {
  const [n] = useNarrowing();
  return (
    <Card title="时限监控（未办结、即将超期、已超期）">
      <Needs store="prometheus">
        <Typography.Paragraph type="secondary">
          办件（按事项）与工单（按类别）的数量由各服务的时限巡检在每轮之后统计；时限节点为 50 %（过半）、75 %（临期）与 100 %（超期）。
        </Typography.Paragraph>
        <Filters fields={["service", "tenant"]} services={["matters", "tickets", "legalaid"]} />
        <PanelGrid page="sla" narrowing={n} seconds={windowSeconds(n.window)} />
      </Needs>
    </Card>
  );
}
