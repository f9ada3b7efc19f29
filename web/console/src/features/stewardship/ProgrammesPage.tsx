// 培育计划与奖励: enrolments of the tenant's subtree in growth programmes (倍增计划 …) with
// their milestones, the review (审核认定) and the awards granted and paid.
import { Card, DatePicker, Form, Input, Segmented, Select, Space, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { Link, useSearchParams } from "react-router";
import { data, split, stewardship } from "../../api/client";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { FormActionBar, required, type FormAction } from "../../shared/formActions";
import { formatYuan, yuanRule } from "../../shared/money";
import { Pager, usePageTokens } from "../../shared/paging";
import { awardKindLabel, enrolmentStateLabel, enterpriseLink, useAct, useEnrolments, type Enrolment } from "./api";

type State = NonNullable<Enrolment["state"]>;
const states = (["ENROLMENT_STATE_ENROLLED", "ENROLMENT_STATE_RECOGNISED", "ENROLMENT_STATE_REJECTED", "ENROLMENT_STATE_UNSPECIFIED"] as State[]).map((value) => ({
  value,
  label: enrolmentStateLabel[value].text,
}));
const day = (d?: Dayjs) => (d ? d.format("YYYY-MM-DD") : undefined);

function actionsFor(e: Enrolment): FormAction<Enrolment>[] {
  const { tenant, id } = split(e.name ?? "");
  const path = { tenant, enrolment: id };
  const acts: FormAction<Enrolment>[] = [];
  const pending = (e.milestones ?? []).map((m, i) => ({ m, i })).filter(({ m }) => !m.reachedDate);
  if (pending.length > 0 && e.state !== "ENROLMENT_STATE_REJECTED")
    acts.push({
      key: "milestone",
      label: "达成里程碑",
      form: (
        <>
          <Form.Item name="milestone" label="里程碑" rules={required("里程碑")}>
            <Select options={pending.map(({ m, i }) => ({ value: i + 1, label: `${i + 1}. ${m.title}` }))} />
          </Form.Item>
          <Form.Item name="reachedDate" label="达成日期" rules={required("达成日期")}>
            <DatePicker />
          </Form.Item>
        </>
      ),
      run: (v) => data(stewardship.POST("/v1/tenants/{tenant}/enrolments/{enrolment}:reachMilestone", { params: { path }, body: { milestone: v.milestone, reachedDate: day(v.reachedDate) } })),
      done: "已记录",
    });
  if (e.state === "ENROLMENT_STATE_ENROLLED")
    acts.push({
      key: "review",
      label: "审核认定",
      primary: true,
      form: (
        <>
          <Form.Item name="recognised" label="结论" rules={required("结论")}>
            <Select options={[{ value: true, label: "认定" }, { value: false, label: "不予认定" }]} />
          </Form.Item>
          <Form.Item name="note" label="审核意见" rules={required("审核意见")}>
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
        </>
      ),
      run: (v) => data(stewardship.POST("/v1/tenants/{tenant}/enrolments/{enrolment}:review", { params: { path }, body: v })),
      done: "审核结论已记录",
    });
  if (e.state === "ENROLMENT_STATE_RECOGNISED") {
    acts.push({
      key: "grant",
      label: "核定奖励",
      form: (
        <>
          <Form.Item name="kind" label="奖励类别" rules={required("奖励类别")}>
            <Select options={Object.entries(awardKindLabel).filter(([k]) => !k.endsWith("UNSPECIFIED")).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item name="amount" label="金额（元）" rules={[...required("金额"), yuanRule]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="basis" label="依据" rules={required("依据")}>
            <Input maxLength={200} />
          </Form.Item>
        </>
      ),
      run: (v) => data(stewardship.POST("/v1/tenants/{tenant}/enrolments/{enrolment}:grantAward", { params: { path }, body: { award: { ...v, amount: v.amount.trim() } } })),
      done: "奖励已核定",
    });
    const unpaid = (e.awards ?? []).filter((a) => !a.paid);
    if (unpaid.length > 0)
      acts.push({
        key: "pay",
        label: "登记兑付",
        form: (
          <>
            <Form.Item name="award" label="奖励" rules={required("奖励")}>
              <Select options={unpaid.map((a) => ({ value: a.number, label: `${a.number}. ${awardKindLabel[a.kind ?? "AWARD_KIND_UNSPECIFIED"]} ${formatYuan(a.amount)}` }))} />
            </Form.Item>
            <Form.Item name="payDate" label="兑付日期" rules={required("兑付日期")}>
              <DatePicker />
            </Form.Item>
            <Form.Item name="reference" label="凭证号" rules={required("凭证号")}>
              <Input maxLength={100} />
            </Form.Item>
          </>
        ),
        run: (v) => data(stewardship.POST("/v1/tenants/{tenant}/enrolments/{enrolment}:payAward", { params: { path }, body: { award: v.award, payDate: day(v.payDate), reference: v.reference } })),
        done: "兑付已登记",
      });
  }
  return acts;
}

function EnrolmentDetail({ e }: { e: Enrolment }) {
  const act = useAct<Enrolment>(undefined, ["enrolments"]);
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <div>
        里程碑：
        {(e.milestones ?? []).map((m, i) => (
          <Tag key={i} color={m.reachedDate ? "green" : "default"}>
            {m.title}（{m.reachedDate ? `${m.reachedDate} 达成` : `${m.dueDate ?? ""} 前`}）
          </Tag>
        ))}
        {(e.milestones ?? []).length === 0 && "—"}
      </div>
      {e.reviewNote && <div>审核意见：{e.reviewNote}</div>}
      <Table
        rowKey="number"
        size="small"
        pagination={false}
        dataSource={e.awards}
        aria-label="奖励"
        locale={{ emptyText: <Typography.Text type="secondary">尚无奖励</Typography.Text> }}
        columns={[
          { title: "序号", dataIndex: "number" },
          { title: "类别", dataIndex: "kind", render: (k: string) => awardKindLabel[k] ?? k },
          { title: "金额", dataIndex: "amount", render: formatYuan },
          { title: "依据", dataIndex: "basis" },
          { title: "兑付", render: (_, a) => (a.paid ? <Tag color="green">{`${a.payDate} 已兑付（${a.reference}）`}</Tag> : <Tag>未兑付</Tag>) },
        ]}
      />
      <FormActionBar<Enrolment> actions={actionsFor(e)} mutate={act.mutateAsync} pending={act.isPending} label="培育计划操作" />
    </Space>
  );
}

export default function ProgrammesPage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const state = (params.get("state") as State | null) ?? "ENROLMENT_STATE_UNSPECIFIED";
  const paging = usePageTokens(`${tenant}|${state}`);
  const q = useEnrolments(tenant, state, paging.token);
  return (
    <Card title="培育计划与奖励" extra={<Segmented<State> aria-label="认定状态" options={states} value={state} onChange={(s) => setParams({ state: s }, { replace: true })} />}>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Table<Enrolment>
          rowKey="name"
          size="middle"
          loading={q.isLoading}
          dataSource={q.data?.enrolments}
          pagination={false}
          scroll={{ x: "max-content" }}
          aria-label="培育计划"
          locale={{ emptyText: <Typography.Text type="secondary">没有培育企业（在企业详情页纳入培育计划）</Typography.Text> }}
          expandable={{ expandedRowRender: (e) => <EnrolmentDetail e={e} /> }}
          columns={[
            { title: "企业", dataIndex: "enterpriseName", render: (n: string, e) => <Link to={enterpriseLink(e.enterprise)}>{n}</Link> },
            { title: "计划", dataIndex: "programme" },
            { title: "基数", dataIndex: "baseline", render: formatYuan, responsive: ["lg"] },
            { title: "目标", dataIndex: "target", render: formatYuan, responsive: ["lg"] },
            {
              title: "状态",
              dataIndex: "state",
              render: (s: State) => <Tag color={enrolmentStateLabel[s ?? "ENROLMENT_STATE_UNSPECIFIED"].color}>{enrolmentStateLabel[s ?? "ENROLMENT_STATE_UNSPECIFIED"].text}</Tag>,
            },
            { title: "核定奖励", dataIndex: "awarded", render: formatYuan },
            { title: "已兑付", dataIndex: "paid", render: formatYuan },
          ]}
        />
      )}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}

