// 保全报告: over the tenant's subtree, the measures in force, the production assets kept
// in use (活封) or substituted (换封), and the money and things left to the enterprises.
import { Card, Col, Row, Skeleton, Statistic, Typography } from "antd";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { formatYuan } from "../../shared/money";
import { usePreservationReport } from "./api";

export default function PreservationReportPage() {
  const { tenant } = useSession();
  const q = usePreservationReport(tenant);
  if (q.error) return <ErrorAlert error={q.error} />;
  const r = q.data;
  if (!r) return <Skeleton active />;
  const stats: [string, string | number][] = [
    ["在执行的保全措施", r.measures ?? 0],
    ["涉及生产经营财产", r.productionAssets ?? 0],
    ["生产经营财产保持生产", r.keptInProduction ?? 0],
    ["活封", r.liveSeals ?? 0],
    ["换封", r.substitutions ?? 0],
    ["预留账户", r.reservedAccounts ?? 0],
    ["保留使用的关键设备", r.reservedEquipment ?? 0],
  ];
  return (
    <Card title={`保全措施报告（${tenant} 及下级）`}>
      <Typography.Paragraph type="secondary">生产经营、研发中的财产原则上不查封、扣押、冻结；确需采取的，优先活封、换封，并为企业预留流动资金、往来账户和关键设备。</Typography.Paragraph>
      <Row gutter={[16, 24]}>
        <Col xs={24} md={12}>
          <Statistic title="保全财产价值" value={formatYuan(r.amountHeld)} />
        </Col>
        <Col xs={24} md={12}>
          <Statistic title="为企业预留的流动资金" value={formatYuan(r.reservedWorkingCapital)} />
        </Col>
        {stats.map(([title, v]) => (
          <Col key={title} xs={12} md={6}>
            <Statistic title={title} value={v} />
          </Col>
        ))}
      </Row>
    </Card>
  );
}
