// 账款详情: one debt of the arrears ledger — its classification, the instalment plan
// (which must add up to the balance to the cent: checked here as a hint, decided by the
// service) and the payments against it.
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { Button, Card, Col, DatePicker, Descriptions, Form, Input, InputNumber, Row, Select, Skeleton, Space, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { useParams } from "react-router";
import { data, stewardship } from "../../api/client";
import { ErrorAlert } from "../../shared/feedback";
import { FormActionBar, required, type FormAction } from "../../shared/formActions";
import { formatYuan, fromFen, toFen, yuanRule } from "../../shared/money";
import { debtClassLabel, useAct, useDebt, type Debt } from "./api";

type Instalment = NonNullable<Debt["instalments"]>[number];
type Payment = NonNullable<Debt["payments"]>[number];
const day = (d?: Dayjs) => (d ? d.format("YYYY-MM-DD") : undefined);

function actionsFor(d: Debt, tenant: string, id: string): FormAction<Debt>[] {
  const path = { tenant, debt: id };
  const acts: FormAction<Debt>[] = [];
  const balance = toFen(d.balance) ?? 0n;
  if (d.class !== "DEBT_CLASS_SETTLED")
    acts.push({
      key: "classify",
      label: "分类",
      initial: { class: d.class === "DEBT_CLASS_DISPUTED" ? "DEBT_CLASS_DISPUTED" : "DEBT_CLASS_SWEEP" },
      form: (
        <Form.Item name="class" label="分类" rules={required("分类")}>
          <Select
            options={[
              { value: "DEBT_CLASS_SWEEP", label: "扫尾台账（无争议，分期拨付）" },
              { value: "DEBT_CLASS_DISPUTED", label: "有争议" },
            ]}
          />
        </Form.Item>
      ),
      run: (v) =>
        data(stewardship.POST("/v1/tenants/{tenant}/debts/{debt}:classify", { params: { path }, body: { class: v.class, disputed: v.class === "DEBT_CLASS_DISPUTED" } })),
      done: "已分类",
    });
  if (d.class === "DEBT_CLASS_SWEEP" && balance > 0n)
    acts.push({
      key: "plan",
      label: "制定分期计划",
      primary: (d.instalments ?? []).length === 0,
      initial: { instalments: [{ amount: d.balance }] },
      form: <PlanFields balance={d.balance ?? "0.00"} />,
      run: (v) =>
        data(
          stewardship.POST("/v1/tenants/{tenant}/debts/{debt}:planInstalments", {
            params: { path },
            body: { instalments: (v.instalments ?? []).map((i: { dueDate?: Dayjs; amount: string }) => ({ dueDate: day(i.dueDate), amount: i.amount.trim() })) },
          }),
        ),
      done: "分期计划已保存",
    });
  if (balance > 0n && d.class !== "DEBT_CLASS_DISPUTED")
    acts.push({
      key: "pay",
      label: "登记拨付",
      form: (
        <>
          <Form.Item name="amount" label={`金额（元，余额 ${d.balance}）`} rules={[...required("金额"), yuanRule, { validator: (_: unknown, v?: string) => ((toFen(v) ?? 0n) > balance ? Promise.reject(new Error("超过余额")) : Promise.resolve()) }]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="payDate" label="拨付日期" rules={required("拨付日期")}>
            <DatePicker />
          </Form.Item>
          <Form.Item name="reference" label="拨付凭证号" rules={required("拨付凭证号")}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="instalment" label="对应分期（不填为最早未付一期）">
            <InputNumber min={1} max={120} />
          </Form.Item>
        </>
      ),
      run: (v) =>
        data(
          stewardship.POST("/v1/tenants/{tenant}/debts/{debt}:recordPayment", {
            params: { path },
            body: { payment: { amount: v.amount.trim(), payDate: day(v.payDate), reference: v.reference, instalment: v.instalment || undefined } },
          }),
        ),
      done: "拨付已登记",
    });
  return acts;
}

// PlanFields are the instalment rows with their running total against the balance.
function PlanFields({ balance }: { balance: string }) {
  const rows = Form.useWatch("instalments") as { amount?: string }[] | undefined;
  const sum = (rows ?? []).reduce((s, r) => s + (toFen(r?.amount) ?? 0n), 0n);
  const target = toFen(balance) ?? 0n;
  return (
    <>
      <Form.List name="instalments">
        {(fields, { add, remove }) => (
          <>
            {fields.map((f, i) => (
              <Space key={f.key} align="baseline" wrap>
                <Form.Item name={[f.name, "dueDate"]} label={`第 ${i + 1} 期到期日`} rules={required("到期日")}>
                  <DatePicker />
                </Form.Item>
                <Form.Item name={[f.name, "amount"]} label={`第 ${i + 1} 期金额（元）`} rules={[...required("金额"), yuanRule]}>
                  <Input inputMode="decimal" style={{ width: 160 }} />
                </Form.Item>
                <Button aria-label={`删除第 ${i + 1} 期`} icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} />
              </Space>
            ))}
            <Button icon={<PlusOutlined />} onClick={() => add({})}>
              添加一期
            </Button>
          </>
        )}
      </Form.List>
      <Typography.Paragraph style={{ marginTop: 12 }} type={sum === target ? "success" : "danger"} aria-live="polite">
        合计 {formatYuan(fromFen(sum))}，余额 {formatYuan(balance)}
        {sum === target ? "，分期与余额相符" : `，相差 ${formatYuan(fromFen(target - sum))}`}
      </Typography.Paragraph>
    </>
  );
}

export default function DebtPage() {
  const { tenant = "", id = "" } = useParams();
  const q = useDebt(tenant, id);
  const act = useAct<Debt>(["debt", tenant, id], ["debts", "arrears-report"]);
  const d = q.data;
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!d) return <Skeleton active />;
  const cls = debtClassLabel[d.class ?? "DEBT_CLASS_UNSPECIFIED"];
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={
          <Space wrap>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {d.ledgerNo} · {d.creditorName}
            </Typography.Title>
            <Tag color={cls.color}>{cls.text}</Tag>
            {d.disputed && <Tag color="orange">有争议</Tag>}
          </Space>
        }
      >
        <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 3 }}>
          <Descriptions.Item label="债权企业">{`${d.creditorName}（${d.creditorCreditCode}）`}</Descriptions.Item>
          <Descriptions.Item label="欠款部门">{d.debtorDepartment}</Descriptions.Item>
          <Descriptions.Item label="事由">{d.subject}</Descriptions.Item>
          <Descriptions.Item label="欠款起始">{d.since}</Descriptions.Item>
          <Descriptions.Item label="本金">{formatYuan(d.amount)}</Descriptions.Item>
          <Descriptions.Item label="已付">{formatYuan(d.paid)}</Descriptions.Item>
          <Descriptions.Item label="余额">{formatYuan(d.balance)}</Descriptions.Item>
          <Descriptions.Item label="依据" span={2}>
            {(d.evidence ?? []).join("；") || "—"}
          </Descriptions.Item>
        </Descriptions>
        <div style={{ marginTop: 16 }}>
          <FormActionBar<Debt> actions={actionsFor(d, tenant, id)} mutate={act.mutateAsync} pending={act.isPending} label="账款操作" />
        </div>
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title="分期计划">
            <Table<Instalment>
              rowKey="number"
              size="small"
              pagination={false}
              dataSource={d.instalments}
              aria-label="分期计划"
              locale={{ emptyText: <Typography.Text type="secondary">尚无分期计划</Typography.Text> }}
              columns={[
                { title: "期次", dataIndex: "number" },
                { title: "到期日", dataIndex: "dueDate" },
                { title: "金额", dataIndex: "amount", render: formatYuan },
                { title: "已付", dataIndex: "paid", render: formatYuan },
                { title: "状态", render: (_, i) => (toFen(i.paid) === toFen(i.amount) ? <Tag color="green">已付清</Tag> : <Tag>未付清</Tag>) },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title="拨付记录">
            <Table<Payment>
              rowKey={(p) => `${p.reference}-${p.payDate}-${p.amount}`}
              size="small"
              pagination={false}
              dataSource={d.payments}
              aria-label="拨付记录"
              locale={{ emptyText: <Typography.Text type="secondary">尚无拨付</Typography.Text> }}
              columns={[
                { title: "日期", dataIndex: "payDate" },
                { title: "金额", dataIndex: "amount", render: formatYuan },
                { title: "期次", dataIndex: "instalment" },
                { title: "凭证号", dataIndex: "reference" },
                { title: "登记人", dataIndex: "recordedBy", responsive: ["lg"] },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
