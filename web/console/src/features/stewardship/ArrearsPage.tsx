// 拖欠账款台账: the government arrears ledger of the tenant's subtree — outstanding per
// debtor department by age (a stacked bar chart and the same figures as a table), then
// the debts by class and department.
import { Button, Card, Form, Input, Segmented, Space, Table, Tag, Typography } from "antd";
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";
import { split } from "../../api/client";
import { useSession } from "../../app/session";
import { Chart } from "../../shared/Chart";
import { ErrorAlert } from "../../shared/feedback";
import { formatYuan, toFen } from "../../shared/money";
import { Pager, usePageTokens } from "../../shared/paging";
import { debtClassLabel, useArrearsReport, useDebts, type Debt, type DepartmentArrears } from "./api";

type Class = NonNullable<Debt["class"]>;
const classes = (["DEBT_CLASS_UNSPECIFIED", "DEBT_CLASS_UNSORTED", "DEBT_CLASS_SWEEP", "DEBT_CLASS_DISPUTED", "DEBT_CLASS_SETTLED"] as Class[]).map((value) => ({
  value,
  label: debtClassLabel[value].text,
}));
const ages: { key: keyof DepartmentArrears; label: string; color: string }[] = [
  { key: "ageUnder1y", label: "1 年以内", color: "#389e0d" },
  { key: "age12y", label: "1–2 年", color: "#d4b106" },
  { key: "age23y", label: "2–3 年", color: "#d46b08" },
  { key: "ageOver3y", label: "3 年以上", color: "#cf1322" },
];
// Ten-thousand yuan for the chart's axis (the table keeps the exact amounts).
const wan = (s?: string) => Number(toFen(s) ?? 0n) / 1_000_000;

export default function ArrearsPage() {
  const { tenant } = useSession();
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Report tenant={tenant} />
      <Debts tenant={tenant} />
    </Space>
  );
}

function Report({ tenant }: { tenant: string }) {
  const q = useArrearsReport(tenant);
  const depts = q.data?.departments ?? [];
  const option = useMemo(
    () => ({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 64, right: 16, top: 36, bottom: 64 },
      xAxis: { type: "category", data: depts.map((d) => d.debtorDepartment), axisLabel: { interval: 0, rotate: depts.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", name: "万元" },
      series: ages.map((a) => ({ name: a.label, type: "bar", stack: "age", itemStyle: { color: a.color }, data: depts.map((d) => wan(d[a.key] as string).toFixed(2)) })),
    }),
    [depts],
  );
  const total = q.data?.total;
  return (
    <Card title={`拖欠账款账龄（截至 ${q.data?.asOf ?? "今日"}）`}>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <>
          {depts.length > 0 && (
            <Chart
              option={option}
              height={340}
              label={`各欠款部门未付余额按账龄：${depts.map((d) => `${d.debtorDepartment} ${formatYuan(d.outstanding)}`).join("，")}`}
            />
          )}
          <Table<DepartmentArrears>
            rowKey="debtorDepartment"
            size="small"
            loading={q.isLoading}
            dataSource={total ? [...depts, total] : depts}
            pagination={false}
            scroll={{ x: "max-content" }}
            aria-label="各部门拖欠账款"
            locale={{ emptyText: <Typography.Text type="secondary">台账为空</Typography.Text> }}
            rowClassName={(d) => (d === total ? "arrears-total" : "")}
            columns={[
              { title: "欠款部门", dataIndex: "debtorDepartment", render: (d: string, r) => (r === total ? <b>{d}</b> : d) },
              { title: "笔数", dataIndex: "debts" },
              { title: "有争议", dataIndex: "disputed" },
              { title: "本金", dataIndex: "principal", render: formatYuan },
              { title: "已付", dataIndex: "paid", render: formatYuan },
              { title: "未付", dataIndex: "outstanding", render: formatYuan },
              ...ages.map((a) => ({ title: a.label, dataIndex: a.key, render: formatYuan, responsive: ["lg" as const] })),
            ]}
          />
        </>
      )}
    </Card>
  );
}

function Debts({ tenant }: { tenant: string }) {
  const [params, setParams] = useSearchParams();
  const cls = (params.get("class") as Class | null) ?? "DEBT_CLASS_UNSPECIFIED";
  const department = params.get("department") ?? "";
  const creditor = params.get("creditor") ?? "";
  const paging = usePageTokens(`${tenant}|${cls}|${department}|${creditor}`);
  const q = useDebts(tenant, cls, department, creditor, paging.token);
  const set = (next: Record<string, string>) => {
    const all: Record<string, string> = { class: cls, department, creditor, ...next };
    setParams(Object.fromEntries(Object.entries(all).filter(([, v]) => v && v !== "DEBT_CLASS_UNSPECIFIED")), { replace: true });
  };
  return (
    <Card title="台账明细" extra={<Segmented<Class> aria-label="台账分类" options={classes} value={cls} onChange={(c) => set({ class: c })} />}>
      <Form layout="inline" aria-label="台账检索" initialValues={{ department, creditor }} onFinish={(v) => set({ department: v.department ?? "", creditor: v.creditor ?? "" })} style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item name="department" label="欠款部门">
          <Input allowClear style={{ width: 180 }} />
        </Form.Item>
        <Form.Item name="creditor" label="债权企业信用代码">
          <Input allowClear style={{ width: 210 }} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit">
            检索
          </Button>
        </Form.Item>
      </Form>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Table<Debt>
          rowKey="name"
          size="middle"
          loading={q.isLoading}
          dataSource={q.data?.debts}
          pagination={false}
          scroll={{ x: "max-content" }}
          aria-label="台账明细"
          locale={{ emptyText: <Typography.Text type="secondary">没有账款</Typography.Text> }}
          columns={[
            { title: "台账编号", dataIndex: "name", render: (n: string) => <Link to={`/stewardship/debts/${split(n).tenant}/${split(n).id}`}>{split(n).id}</Link> },
            { title: "债权企业", dataIndex: "creditorName" },
            { title: "欠款部门", dataIndex: "debtorDepartment" },
            { title: "事由", dataIndex: "subject", responsive: ["lg"] },
            { title: "欠款起始", dataIndex: "since", responsive: ["md"] },
            { title: "本金", dataIndex: "amount", render: formatYuan },
            { title: "余额", dataIndex: "balance", render: formatYuan },
            {
              title: "分类",
              dataIndex: "class",
              render: (c: Class) => <Tag color={debtClassLabel[c ?? "DEBT_CLASS_UNSPECIFIED"].color}>{debtClassLabel[c ?? "DEBT_CLASS_UNSPECIFIED"].text}</Tag>,
            },
          ]}
        />
      )}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
