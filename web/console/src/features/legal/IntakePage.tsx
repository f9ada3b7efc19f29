// 案件受理: takes in an enterprise-related matter. The credit codes are checked here as a
// hint (GB 32100) before the service checks them; the amount stays an exact decimal
// string from the keyboard to the service. The conflict check and the 1-working-day
// registration clock start with the intake; the new case's page shows both.
import { MinusCircleOutlined, PlusOutlined } from "@ant-design/icons";
import { useMutation } from "@tanstack/react-query";
import { Button, Card, Col, Form, Input, Row, Select, Space, Typography } from "antd";
import { useNavigate } from "react-router";
import { data, legalaid } from "../../api/client";
import { useSession } from "../../app/session";
import { showSuccess } from "../../shared/feedback";
import { creditCodeRule, yuanRule } from "../../shared/money";
import { caseLink } from "./CaseTable";
import { arrivalLabel, caseTypeLabel, options, type Case } from "./api";

interface Values {
  applicantName: string;
  applicantCode: string;
  counterparties?: { name?: string; creditCode?: string }[];
  caseType: Case["caseType"];
  claims: string;
  claimAmount: string;
  urgency: Case["urgency"];
  arrival: Case["arrival"];
  ticket?: string;
  revenueDrop?: string;
  monthsInArrears?: string;
  debtRatio?: string;
}

const staffArrivals = options(arrivalLabel).filter((o) => o.value !== "ARRIVAL_COURT_REFERRAL" && o.value !== "ARRIVAL_ONLINE");
const decimalRule = { pattern: /^[0-9]{1,6}(\.[0-9]{1,2})?$/, message: "请填写数字，如 45 或 92.5" };

export default function IntakePage() {
  const { tenant } = useSession();
  const navigate = useNavigate();
  const [form] = Form.useForm<Values>();
  const arrival = Form.useWatch("arrival", form);
  const create = useMutation({
    mutationFn: (v: Values) => {
      const hardship: Record<string, string> = {};
      if (v.revenueDrop) hardship.revenue_drop_percent = v.revenueDrop;
      if (v.monthsInArrears) hardship.months_in_arrears = v.monthsInArrears;
      if (v.debtRatio) hardship.debt_ratio_percent = v.debtRatio;
      return data(
        legalaid.POST("/v1/tenants/{tenant}/cases", {
          params: { path: { tenant } },
          body: {
            caseType: v.caseType,
            applicant: { name: v.applicantName.trim(), creditCode: v.applicantCode.trim().toUpperCase() },
            counterparties: (v.counterparties ?? [])
              .filter((p) => p.name?.trim())
              .map((p) => ({ name: p.name!.trim(), creditCode: p.creditCode?.trim().toUpperCase() || undefined })),
            claims: v.claims,
            claimAmount: v.claimAmount.trim(),
            urgency: v.urgency,
            arrival: v.arrival,
            ticket: v.arrival === "ARRIVAL_TICKET" ? v.ticket : undefined,
            hardship,
          },
        }),
      );
    },
    onSuccess: (c) => {
      showSuccess("案件已受理，立案期限开始计时");
      navigate(caseLink(c.name));
    },
  });
  return (
    <Card title="案件受理（涉企案件绿色通道）">
      <Typography.Paragraph type="secondary">受理后 1 个工作日内应完成立案；困难情况用于诉讼费用支持的审核。</Typography.Paragraph>
      <Form<Values>
        form={form}
        layout="vertical"
        requiredMark
        initialValues={{ caseType: "CASE_TYPE_COMMERCIAL", urgency: "URGENCY_NORMAL", arrival: "ARRIVAL_WALK_IN", counterparties: [{}] }}
        onFinish={(v) => create.mutate(v)}
        style={{ maxWidth: 960 }}
      >
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item name="applicantName" label="申请企业名称" rules={[{ required: true, message: "请填写申请企业名称" }]}>
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="applicantCode" label="统一社会信用代码" rules={[{ required: true, message: "请填写统一社会信用代码" }, creditCodeRule]} validateTrigger="onBlur">
              <Input maxLength={18} style={{ textTransform: "uppercase" }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.List name="counterparties">
          {(fields, { add, remove }) => (
            <fieldset style={{ border: "none", padding: 0, margin: 0 }}>
              <legend style={{ fontSize: 14, marginBottom: 8 }}>对方当事人</legend>
              {fields.map((f, i) => (
                <Row key={f.key} gutter={16} align="bottom">
                  <Col xs={24} md={11}>
                    <Form.Item name={[f.name, "name"]} label={`对方当事人 ${i + 1} 名称`}>
                      <Input maxLength={200} />
                    </Form.Item>
                  </Col>
                  <Col xs={20} md={11}>
                    <Form.Item name={[f.name, "creditCode"]} label={`对方当事人 ${i + 1} 信用代码（选填）`} rules={[creditCodeRule]} validateTrigger="onBlur">
                      <Input maxLength={18} />
                    </Form.Item>
                  </Col>
                  <Col xs={4} md={2}>
                    <Form.Item>
                      <Button aria-label={`删除对方当事人 ${i + 1}`} icon={<MinusCircleOutlined />} onClick={() => remove(f.name)} />
                    </Form.Item>
                  </Col>
                </Row>
              ))}
              <Form.Item>
                <Button icon={<PlusOutlined />} onClick={() => add({})}>
                  添加对方当事人
                </Button>
              </Form.Item>
            </fieldset>
          )}
        </Form.List>
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item name="caseType" label="案件类型" rules={[{ required: true, message: "请选择案件类型" }]}>
              <Select options={options(caseTypeLabel)} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name="claimAmount" label="标的额（元）" rules={[{ required: true, message: "请填写标的额" }, yuanRule]}>
              <Input inputMode="decimal" placeholder="1250000.00" />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name="urgency" label="紧急程度">
              <Select options={[{ value: "URGENCY_NORMAL", label: "普通" }, { value: "URGENCY_URGENT", label: "紧急" }]} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="claims" label="诉讼请求" rules={[{ required: true, message: "请填写诉讼请求" }]}>
          <Input.TextArea rows={3} maxLength={5000} />
        </Form.Item>
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item name="arrival" label="案件来源">
              <Select options={staffArrivals} />
            </Form.Item>
          </Col>
          {arrival === "ARRIVAL_TICKET" && (
            <Col xs={24} md={16}>
              <Form.Item name="ticket" label="来源工单" rules={[{ required: true, message: "请填写来源工单" }]}>
                <Input placeholder="tenants/ahz/tickets/T-…" />
              </Form.Item>
            </Col>
          )}
        </Row>
        <fieldset style={{ border: "none", padding: 0, margin: 0 }}>
          <legend style={{ fontSize: 14, marginBottom: 8 }}>困难情况（诉讼费用支持）</legend>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="revenueDrop" label="营业收入同比下降（%）" rules={[decimalRule]}>
                <Input inputMode="decimal" />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="monthsInArrears" label="欠缴社保或工资（月）" rules={[decimalRule]}>
                <Input inputMode="numeric" />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="debtRatio" label="资产负债率（%）" rules={[decimalRule]}>
                <Input inputMode="decimal" />
              </Form.Item>
            </Col>
          </Row>
        </fieldset>
        <Space>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            受理
          </Button>
          <Button onClick={() => navigate("/legal/cases")}>取消</Button>
        </Space>
      </Form>
    </Card>
  );
}
