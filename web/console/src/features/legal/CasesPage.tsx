// 涉企案件: the cases the caller can reach in the tenant's subtree, searched by party,
// credit code, court case number and state (ECF GetCaseList).
import { PlusOutlined } from "@ant-design/icons";
import { Button, Card, Form, Input, Select, Space } from "antd";
import { Link, useSearchParams } from "react-router";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { CaseTable } from "./CaseTable";
import { caseStateLabel, useCases, type CaseFilter, type CaseState } from "./api";

const stateOptions = Object.entries(caseStateLabel).map(([value, l]) => ({ value, label: l.text }));

export default function CasesPage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const filter: CaseFilter = {
    state: (params.get("state") as CaseState | null) ?? "STATE_UNSPECIFIED",
    party: params.get("party") ?? "",
    creditCode: params.get("creditCode") ?? "",
    courtCaseNumber: params.get("caseNumber") ?? "",
  };
  const paging = usePageTokens(`${tenant}|${JSON.stringify(filter)}`);
  const q = useCases(tenant, filter, paging.token);
  const [form] = Form.useForm();
  const search = (v: Record<string, string | undefined>) => {
    const next: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) if (val && val !== "STATE_UNSPECIFIED") next[k] = val.trim();
    setParams(next, { replace: true });
  };
  return (
    <Card
      title="涉企案件"
      extra={
        <Link to="/legal/intake">
          <Button type="primary" icon={<PlusOutlined />}>
            案件受理
          </Button>
        </Link>
      }
    >
      <Form
        form={form}
        layout="inline"
        aria-label="案件检索"
        initialValues={{ state: filter.state, party: filter.party, creditCode: filter.creditCode, caseNumber: filter.courtCaseNumber }}
        onFinish={search}
        style={{ marginBottom: 16, rowGap: 8 }}
      >
        <Form.Item name="party" label="当事人">
          <Input allowClear placeholder="当事人全称" style={{ width: 200 }} />
        </Form.Item>
        <Form.Item name="creditCode" label="信用代码">
          <Input allowClear placeholder="统一社会信用代码" style={{ width: 210 }} />
        </Form.Item>
        <Form.Item name="caseNumber" label="案号">
          <Input allowClear placeholder="（2026）辽0391民初123号" style={{ width: 230 }} />
        </Form.Item>
        <Form.Item name="state" label="状态">
          <Select options={stateOptions} style={{ width: 120 }} />
        </Form.Item>
        <Form.Item>
          <Space>
            <Button type="primary" htmlType="submit">
              检索
            </Button>
            <Button
              onClick={() => {
                form.setFieldsValue({ party: "", creditCode: "", caseNumber: "", state: "STATE_UNSPECIFIED" });
                setParams({}, { replace: true });
              }}
            >
              重置
            </Button>
          </Space>
        </Form.Item>
      </Form>
      {q.error ? <ErrorAlert error={q.error} /> : <CaseTable rows={q.data?.cases} loading={q.isLoading} />}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
