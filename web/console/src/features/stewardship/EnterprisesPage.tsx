// 企业名录: the register of the tenant's subtree, by industry, scale tag, life-cycle stage
// or steward; a credit code goes straight to its enterprise. Beside it, each steward's
// workload.
import { Button, Card, Form, Input, Select, Space, Table, Tag, Typography } from "antd";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { creditCodeRule } from "../../shared/money";
import { Pager, usePageTokens } from "../../shared/paging";
import { enterpriseLink, stageLabel, stewardKindLabel, useEnterprises, useWorkload, type Enterprise, type EnterpriseFilter, type Stage } from "./api";

const stageOptions = Object.entries(stageLabel).map(([value, label]) => ({ value, label }));

export default function EnterprisesPage() {
  const { tenant } = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const filter: EnterpriseFilter = {
    industry: params.get("industry") ?? "",
    scaleTag: params.get("scaleTag") ?? "",
    stage: (params.get("stage") as Stage | null) ?? "STAGE_UNSPECIFIED",
    steward: params.get("steward") ?? "",
  };
  const paging = usePageTokens(`${tenant}|${JSON.stringify(filter)}`);
  const q = useEnterprises(tenant, filter, paging.token);
  const [form] = Form.useForm();
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card title="企业名录">
        <Form
          layout="inline"
          aria-label="按信用代码查找企业"
          style={{ marginBottom: 12 }}
          onFinish={(v: { code: string }) => {
            // The register names an enterprise by tenant and code; the list says where it is.
            const code = v.code.trim().toUpperCase();
            const hit = q.data?.enterprises?.find((e) => e.creditCode === code);
            navigate(hit ? enterpriseLink(hit.name) : `/stewardship/enterprises/${tenant}/${code}`);
          }}
        >
          <Form.Item name="code" label="统一社会信用代码" rules={[{ required: true, message: "请填写统一社会信用代码" }, creditCodeRule]} validateTrigger="onSubmit">
            <Input maxLength={18} style={{ width: 220 }} />
          </Form.Item>
          <Form.Item>
            <Button htmlType="submit">打开</Button>
          </Form.Item>
        </Form>
        <Form
          form={form}
          layout="inline"
          aria-label="企业检索"
          initialValues={filter}
          style={{ marginBottom: 16, rowGap: 8 }}
          onFinish={(v: Record<string, string>) => {
            const next: Record<string, string> = {};
            for (const [k, val] of Object.entries(v)) if (val && val !== "STAGE_UNSPECIFIED") next[k] = val.trim();
            setParams(next, { replace: true });
          }}
        >
          <Form.Item name="industry" label="行业">
            <Input allowClear style={{ width: 180 }} />
          </Form.Item>
          <Form.Item name="scaleTag" label="培育标签">
            <Select allowClear style={{ width: 120 }} options={["规上", "雏鹰", "瞪羚", "专精特新"].map((t) => ({ value: t, label: t }))} />
          </Form.Item>
          <Form.Item name="stage" label="发展阶段">
            <Select style={{ width: 130 }} options={stageOptions} />
          </Form.Item>
          <Form.Item name="steward" label="管家账号">
            <Input allowClear style={{ width: 160 }} />
          </Form.Item>
          <Form.Item>
            <Space>
              <Button type="primary" htmlType="submit">
                检索
              </Button>
              <Button
                onClick={() => {
                  form.setFieldsValue({ industry: "", scaleTag: undefined, stage: "STAGE_UNSPECIFIED", steward: "" });
                  setParams({}, { replace: true });
                }}
              >
                重置
              </Button>
            </Space>
          </Form.Item>
        </Form>
        {q.error ? (
          <ErrorAlert error={q.error} />
        ) : (
          <Table<Enterprise>
            rowKey="name"
            size="middle"
            loading={q.isLoading}
            dataSource={q.data?.enterprises}
            pagination={false}
            scroll={{ x: "max-content" }}
            aria-label="企业名录"
            locale={{ emptyText: <Typography.Text type="secondary">没有企业</Typography.Text> }}
            columns={[
              { title: "企业名称", dataIndex: "enterpriseName", render: (n: string, e) => <Link to={enterpriseLink(e.name)}>{n}</Link> },
              { title: "统一社会信用代码", dataIndex: "creditCode" },
              { title: "行业", dataIndex: "industry", responsive: ["lg"] },
              { title: "阶段", dataIndex: "stage", render: (s: Stage) => stageLabel[s ?? "STAGE_UNSPECIFIED"], responsive: ["md"] },
              { title: "标签", dataIndex: "scaleTags", render: (t?: string[]) => (t ?? []).map((x) => <Tag key={x}>{x}</Tag>), responsive: ["md"] },
              {
                title: "管家",
                render: (_, e) => (e.stewards ?? []).map((a) => `${a.stewardName || a.steward}（${stewardKindLabel[a.kind ?? "STEWARD_KIND_UNSPECIFIED"]}）`).join("、") || "—",
              },
              { title: "所属单位", render: (_, e) => (e.name ?? "").split("/")[1], responsive: ["xl"] },
            ]}
          />
        )}
        <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
      </Card>
      <Workload tenant={tenant} />
    </Space>
  );
}

function Workload({ tenant }: { tenant: string }) {
  const q = useWorkload(tenant);
  if (q.error) return null; // a caller without steward reading sees the register only
  return (
    <Card title="管家工作量（近 90 天走访）">
      <Table
        rowKey="steward"
        size="small"
        loading={q.isLoading}
        dataSource={q.data?.stewards}
        pagination={false}
        aria-label="管家工作量"
        locale={{ emptyText: <Typography.Text type="secondary">尚无管家</Typography.Text> }}
        columns={[
          { title: "管家", render: (_, s) => s.stewardName || s.steward },
          { title: "联系企业", dataIndex: "enterprises" },
          { title: "包保", dataIndex: "pairings" },
          { title: "走访", dataIndex: "visits" },
          { title: "未解决问题", dataIndex: "openProblems" },
        ]}
      />
    </Card>
  );
}
