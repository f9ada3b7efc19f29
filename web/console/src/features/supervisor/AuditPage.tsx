// 审计轨迹: a record's audit trail in the service that keeps it (each service chains its
// own records per tenant), and the verification of that tenant's whole chain: whether
// any record was edited, deleted or moved.
import { SafetyCertificateOutlined } from "@ant-design/icons";
import { Alert, Button, Card, Form, Input, Select, Space, Table, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useMutation } from "@tanstack/react-query";
import { useSearchParams } from "react-router";
import type { components as C } from "../../api/gen/identity";
import { useSession } from "../../app/session";
import { ErrorAlert, showError } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { formatTime } from "../../shared/time";
import { auditServices, useAuditRecords, verifyChain, type AuditService } from "./api";

type AuditRecord = C["schemas"]["v1AuditRecord"];

const columns: ColumnsType<AuditRecord> = [
  { title: "序号", dataIndex: "sequence", align: "right", width: 72 },
  { title: "时间", dataIndex: "time", render: (x?: string) => formatTime(x), width: 150 },
  { title: "操作", dataIndex: "action" },
  { title: "操作人", dataIndex: "actor" },
  { title: "对象", dataIndex: "resource" },
  {
    title: "哈希",
    dataIndex: "hash",
    render: (h?: string) => (
      <Typography.Text code title={h}>
        {h?.slice(0, 12)}
      </Typography.Text>
    ),
  },
];

export default function AuditPage() {
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const service = (params.get("service") as AuditService | null) ?? "matters";
  const tenant = params.get("tenant") || session.tenant;
  const resource = params.get("resource") ?? "";
  const paging = usePageTokens(`${service}|${tenant}|${resource}`);
  const q = useAuditRecords(service, `${tenant}`, resource, paging.token);
  const verify = useMutation({ mutationFn: () => verifyChain(service, tenant), onError: () => {} });
  const search = (v: { service: AuditService; tenant: string; resource?: string }) => {
    verify.reset();
    setParams({ service: v.service, tenant: v.tenant.trim(), resource: (v.resource ?? "").trim() }, { replace: true });
  };
  const result = verify.data;
  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card title="审计轨迹">
        <Form name="audit" layout="inline" initialValues={{ service, tenant, resource }} onFinish={search} key={`${service}|${tenant}|${resource}`}>
          <Form.Item name="service" label="业务系统">
            <Select options={auditServices.map((s) => ({ value: s.value, label: s.label }))} style={{ width: 200 }} />
          </Form.Item>
          <Form.Item name="tenant" label="单位" rules={[{ required: true, message: "请填写单位" }]}>
            <Input style={{ width: 160 }} />
          </Form.Item>
          <Form.Item name="resource" label="记录">
            <Input placeholder="如 tenants/ahz.s01.c01/applications/…（留空为全部）" style={{ width: 360 }} allowClear />
          </Form.Item>
          <Form.Item>
            <Button type="primary" htmlType="submit">
              查询
            </Button>
          </Form.Item>
        </Form>
      </Card>
      <Card
        title={resource ? `记录 ${resource} 的审计记录` : `单位 ${tenant} 的审计记录`}
        extra={
          <Button
            icon={<SafetyCertificateOutlined />}
            loading={verify.isPending}
            onClick={() => verify.mutateAsync().catch(showError)}
          >
            校验审计链
          </Button>
        }
      >
        {result && (
          <Alert
            style={{ marginBottom: 12 }}
            role="status"
            data-testid="chain-result"
            type={result.ok ? "success" : "error"}
            showIcon
            title={result.ok ? `审计链完整：单位 ${tenant} 在本系统的 ${result.records ?? 0} 条记录未被篡改、删除或调序` : `审计链异常：发现 ${result.problems?.length ?? 0} 处问题${result.truncated ? "（仅列出部分）" : ""}`}
            description={
              result.ok ? (
                <span>
                  链头 #{result.headSequence} <Typography.Text code>{result.headHash?.slice(0, 16)}</Typography.Text>，校验于 {formatTime(result.verifyTime)}
                </span>
              ) : (
                <ul style={{ margin: 0 }}>
                  {(result.problems ?? []).map((p) => (
                    <li key={`${p.sequence}-${p.kind}`}>
                      #{p.sequence} {p.kind}：{p.detail}
                    </li>
                  ))}
                </ul>
              )
            }
          />
        )}
        {q.error ? (
          <ErrorAlert error={q.error} />
        ) : (
          <Table<AuditRecord>
            rowKey="sequence"
            size="small"
            columns={columns}
            dataSource={q.data?.records}
            loading={q.isLoading}
            pagination={false}
            locale={{ emptyText: "没有审计记录" }}
            scroll={{ x: true }}
          />
        )}
        <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
      </Card>
    </Space>
  );
}
