// 企业详情: an enterprise of the register — its record with masked contacts, its stewards
// and their handovers, the 360° view gathered from the services (a part whose service did
// not answer is marked unavailable, the rest still shows), its visits and the problems
// raised, each of which can become a ticket whose state it then follows.
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, Input, List, Popconfirm, Row, Select, Skeleton, Space, Table, Tag, Typography } from "antd";
import type { Dayjs } from "dayjs";
import { Link, useParams } from "react-router";
import { data, split, stewardship } from "../../api/client";
import { ErrorAlert, showSuccess } from "../../shared/feedback";
import { FormActionBar, required, type FormAction } from "../../shared/formActions";
import { categoryLabel, ticketStateLabel, type TicketState } from "../../shared/labels";
import { yuanRule } from "../../shared/money";
import { formatTime } from "../../shared/time";
import {
  debtClassLabel,
  enrolmentStateLabel,
  partLabel,
  problemStateLabel,
  stageLabel,
  stewardKindLabel,
  use360,
  useAct,
  useAssignmentHistory,
  useEnterprise,
  useProblems,
  useVisits,
  type Assignment,
  type Debt,
  type Enrolment,
  type Enterprise,
  type Part,
  type Problem,
} from "./api";

const lines = (v?: string) =>
  (v ?? "")
    .split(/[\n,，、]/)
    .map((s) => s.trim())
    .filter(Boolean);
const day = (d?: Dayjs) => (d ? d.format("YYYY-MM-DD") : undefined);

export default function EnterprisePage() {
  const { tenant = "", code = "" } = useParams();
  const q = useEnterprise(tenant, code);
  const act = useAct<unknown>(undefined, ["enterprise", "enterprise360", "assignments", "visits", "problems", "steward-workload", "enrolments"]);
  const e = q.data;
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!e) return <Skeleton active />;
  const path = { tenant, enterprise: code };
  const actions: FormAction<unknown>[] = [
    {
      key: "problem",
      label: "登记问题诉求",
      primary: true,
      initial: { category: "enterprise" },
      form: (
        <>
          <Form.Item name="category" label="问题类别" rules={required("问题类别")}>
            <Select options={Object.entries(categoryLabel).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item name="title" label="问题" rules={required("问题")}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="description" label="具体情况" rules={required("具体情况")}>
            <Input.TextArea rows={3} maxLength={5000} />
          </Form.Item>
          <Form.Item name="ownerDepartment" label="责任部门" rules={required("责任部门")}>
            <Input maxLength={100} />
          </Form.Item>
        </>
      ),
      run: (v) => data(stewardship.POST("/v1/tenants/{tenant}/enterprises/{enterprise}/problems", { params: { path }, body: v })),
      done: "问题已登记",
    },
    {
      key: "visit",
      label: "记录走访",
      form: (
        <>
          <Form.Item name="visitDate" label="走访日期" rules={required("走访日期")}>
            <DatePicker />
          </Form.Item>
          <Form.Item name="people" label="参加人员（逗号分隔）" rules={required("参加人员")}>
            <Input />
          </Form.Item>
          <Form.Item name="notes" label="走访情况" rules={required("走访情况")}>
            <Input.TextArea rows={3} maxLength={5000} />
          </Form.Item>
        </>
      ),
      run: (v) =>
        data(
          stewardship.POST("/v1/tenants/{tenant}/enterprises/{enterprise}/visits", {
            params: { path },
            body: { visitDate: day(v.visitDate), people: lines(v.people), notes: v.notes },
          }),
        ),
      done: "走访已记录",
    },
    {
      key: "assign",
      label: "指定管家",
      initial: { kind: "STEWARD_KIND_ENTERPRISE", pairing: false },
      form: (
        <>
          <Form.Item name="kind" label="管家类别" rules={required("管家类别")}>
            <Select options={Object.entries(stewardKindLabel).filter(([k]) => !k.endsWith("UNSPECIFIED")).map(([value, label]) => ({ value, label }))} />
          </Form.Item>
          <Form.Item name="steward" label="管家账号" rules={required("管家账号")}>
            <Input placeholder="users/…" />
          </Form.Item>
          <Form.Item name="stewardName" label="管家姓名" rules={required("管家姓名")}>
            <Input maxLength={50} />
          </Form.Item>
          <Form.Item name="pairing" label="包保（干部结对重点企业）">
            <Select options={[{ value: true, label: "是" }, { value: false, label: "否" }]} />
          </Form.Item>
          <Form.Item name="handoverNote" label="交接说明（更换管家时）">
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
        </>
      ),
      run: (v) => data(stewardship.POST("/v1/tenants/{tenant}/enterprises/{enterprise}:assignSteward", { params: { path }, body: v })),
      done: "管家已指定",
    },
    {
      key: "enrol",
      label: "纳入培育计划",
      initial: { programme: "倍增计划" },
      form: (
        <>
          <Form.Item name="programme" label="计划" rules={required("计划")}>
            <Select options={["倍增计划", "雏鹰培育", "瞪羚培育", "规上培育"].map((p) => ({ value: p, label: p }))} />
          </Form.Item>
          <Form.Item name="baseline" label="基期营业收入（元）" rules={[...required("基期营业收入"), yuanRule]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="target" label="目标营业收入（元）" rules={[...required("目标营业收入"), yuanRule]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="milestones" label="里程碑（每行：名称 YYYY-MM-DD）">
            <Input.TextArea rows={3} placeholder={"营收突破 5000 万 2026-12-31"} />
          </Form.Item>
        </>
      ),
      run: (v) =>
        data(
          stewardship.POST("/v1/tenants/{tenant}/enterprises/{enterprise}/enrolments", {
            params: { path },
            body: {
              programme: v.programme,
              baseline: v.baseline,
              target: v.target,
              milestones: (v.milestones ?? "")
                .split("\n")
                .map((l: string) => l.trim())
                .filter(Boolean)
                .map((l: string) => {
                  const m = /^(.*?)\s+(\d{4}-\d{2}-\d{2})$/.exec(l);
                  return m ? { title: m[1], dueDate: m[2] } : { title: l };
                }),
            },
          }),
        ),
      done: "已纳入培育计划",
    },
  ];
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={
          <Space wrap>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {e.enterpriseName}
            </Typography.Title>
            <Tag color="blue">{stageLabel[e.stage ?? "STAGE_UNSPECIFIED"]}</Tag>
            {(e.scaleTags ?? []).map((t) => (
              <Tag key={t} color="gold">
                {t}
              </Tag>
            ))}
          </Space>
        }
      >
        <Profile e={e} />
        <div style={{ marginTop: 16 }}>
          <FormActionBar<unknown> actions={actions} mutate={act.mutateAsync} pending={act.isPending} label="企业服务操作" />
        </div>
      </Card>
      <View360 tenant={tenant} code={code} />
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Problems tenant={tenant} enterprise={e.name ?? ""} />
        </Col>
        <Col xs={24} xl={12}>
          <Visits tenant={tenant} code={code} />
        </Col>
        <Col xs={24}>
          <Stewards tenant={tenant} e={e} />
        </Col>
      </Row>
    </Space>
  );
}

function Profile({ e }: { e: Enterprise }) {
  return (
    <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 3 }}>
      <Descriptions.Item label="统一社会信用代码">{e.creditCode}</Descriptions.Item>
      <Descriptions.Item label="行业">{e.industry || "—"}</Descriptions.Item>
      <Descriptions.Item label="成立日期">{e.registrationDate || "—"}</Descriptions.Item>
      <Descriptions.Item label="地址">{e.address || "—"}</Descriptions.Item>
      <Descriptions.Item label="纳税状态">{e.taxStatus || "—"}</Descriptions.Item>
      <Descriptions.Item label="所属单位">{(e.name ?? "").split("/")[1]}</Descriptions.Item>
      <Descriptions.Item label="联系人（号码已脱敏）" span={3}>
        {(e.contacts ?? []).map((c, i) => (
          <div key={i}>
            {c.name} {c.position ? `（${c.position}）` : ""} {c.phone}
          </div>
        ))}
        {(e.contacts ?? []).length === 0 && "—"}
      </Descriptions.Item>
      <Descriptions.Item label="管家" span={3}>
        {(e.stewards ?? []).length === 0
          ? "尚未指定"
          : (e.stewards ?? []).map((a) => (
              <Tag key={a.name} color="cyan">
                {stewardKindLabel[a.kind ?? "STEWARD_KIND_UNSPECIFIED"]}：{a.stewardName || a.steward}
                {a.pairing ? "（包保）" : ""}
              </Tag>
            ))}
      </Descriptions.Item>
    </Descriptions>
  );
}

// View360 shows every part of the 360° view; a part whose service did not answer in time
// says so (with the stable code) and the others still show.
function View360({ tenant, code }: { tenant: string; code: string }) {
  const q = use360(tenant, code);
  return (
    <Card title="企业 360° 视图" extra={<Button onClick={() => void q.refetch()} loading={q.isFetching}>刷新</Button>}>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : !q.data ? (
        <Skeleton active />
      ) : (
        <Row gutter={[16, 16]}>
          {(q.data.parts ?? []).map((p) => (
            <Col key={p.part} xs={24} md={12} xl={8}>
              <PartCard p={p} />
            </Col>
          ))}
        </Row>
      )}
    </Card>
  );
}

function itemLink(name: string): string | undefined {
  const { tenant, id } = split(name);
  if (name.includes("/applications/")) return `/clerk/applications/${tenant}/${id}`;
  if (name.includes("/tickets/")) return `/hotline/tickets/${tenant}/${id}`;
  if (name.includes("/cases/")) return `/legal/cases/${tenant}/${id}`;
  if (name.includes("/debts/")) return `/stewardship/debts/${tenant}/${id}`;
  return undefined;
}

// stateText reads an item's state in Chinese, whichever service's enum it is.
function stateText(state: string): string {
  return (
    ticketStateLabel[state as TicketState]?.text ??
    problemStateLabel[state as NonNullable<Problem["state"]>]?.text ??
    debtClassLabel[state as NonNullable<Debt["class"]>]?.text ??
    enrolmentStateLabel[state as NonNullable<Enrolment["state"]>]?.text ??
    state
  );
}

function PartCard({ p }: { p: Part }) {
  const title = partLabel[p.part ?? ""] ?? p.part;
  return (
    <Card
      size="small"
      data-testid={`part-${p.part}`}
      title={
        <Space>
          {title}
          {p.available ? <Tag>{p.total ?? (p.items ?? []).length} 项</Tag> : <Tag color="red">暂不可用</Tag>}
        </Space>
      }
    >
      {!p.available ? (
        <Alert type="warning" showIcon title={`${p.source ?? ""} 服务未及时响应，本部分暂不可用`} description={p.error ? `错误码 ${p.error}` : undefined} />
      ) : (
        <List
          size="small"
          dataSource={p.items ?? []}
          locale={{ emptyText: <Typography.Text type="secondary">无</Typography.Text> }}
          renderItem={(it) => {
            const to = itemLink(it.name ?? "");
            return (
              <List.Item>
                <Space wrap size={4}>
                  {to ? <Link to={to}>{it.title || split(it.name ?? "").id}</Link> : it.title || split(it.name ?? "").id}
                  {it.state && <Tag>{stateText(it.state)}</Tag>}
                  <Typography.Text type="secondary">{formatTime(it.time)}</Typography.Text>
                </Space>
              </List.Item>
            );
          }}
        />
      )}
    </Card>
  );
}

// ProblemList is problems with their state and, once one became a ticket, the ticket's
// state as last seen; an open one can be turned into a ticket.
export function ProblemList({ rows, loading }: { rows?: Problem[]; loading: boolean }) {
  const act = useAct<Problem>(undefined, ["problems", "enterprise360", "steward-workload"]);
  const open = (p: Problem) => {
    const { tenant, id } = split(p.name ?? "");
    return act
      .mutateAsync(() => data(stewardship.POST("/v1/tenants/{tenant}/problems/{problem}:openTicket", { params: { path: { tenant, problem: id } }, body: {} })))
      .then(() => showSuccess("已转为诉求工单"))
      .catch(() => {});
  };
  return (
    <Table<Problem>
      rowKey="name"
      size="small"
      loading={loading}
      dataSource={rows}
      pagination={false}
      scroll={{ x: "max-content" }}
      aria-label="问题诉求"
      locale={{ emptyText: <Typography.Text type="secondary">没有问题诉求</Typography.Text> }}
      columns={[
        { title: "问题", dataIndex: "title" },
        { title: "企业", dataIndex: "enterpriseName", responsive: ["lg"] },
        { title: "类别", dataIndex: "category", render: (c: string) => categoryLabel[c] ?? c, responsive: ["md"] },
        { title: "责任部门", dataIndex: "ownerDepartment", responsive: ["md"] },
        {
          title: "状态",
          render: (_, p) => {
            const l = problemStateLabel[p.state ?? "PROBLEM_STATE_UNSPECIFIED"];
            return (
              <Space size={4} wrap>
                <Tag color={l.color} data-testid="problem-state">
                  {l.text}
                </Tag>
                {p.ticket && (
                  <Link to={itemLink(p.ticket) ?? "#"}>
                    工单 {split(p.ticket).id}
                    {p.ticketState ? `（${ticketStateLabel[p.ticketState as TicketState]?.text ?? p.ticketState}）` : ""}
                  </Link>
                )}
              </Space>
            );
          },
        },
        {
          title: "操作",
          render: (_, p) =>
            p.state === "PROBLEM_STATE_OPEN" ? (
              <Popconfirm title="将该问题转为诉求工单，由责任部门办理？" okText="确定" cancelText="取消" onConfirm={() => open(p)}>
                <Button size="small" loading={act.isPending}>
                  转为工单
                </Button>
              </Popconfirm>
            ) : null,
        },
      ]}
    />
  );
}

function Problems({ tenant, enterprise }: { tenant: string; enterprise: string }) {
  const q = useProblems(tenant, enterprise, "PROBLEM_STATE_UNSPECIFIED", "");
  return <Card title="问题诉求">{q.error ? <ErrorAlert error={q.error} /> : <ProblemList rows={q.data?.problems} loading={q.isLoading} />}</Card>;
}

function Visits({ tenant, code }: { tenant: string; code: string }) {
  const q = useVisits(tenant, code);
  return (
    <Card title="走访记录">
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <List
          loading={q.isLoading}
          dataSource={q.data?.visits ?? []}
          locale={{ emptyText: <Typography.Text type="secondary">尚无走访记录</Typography.Text> }}
          renderItem={(v) => (
            <List.Item>
              <Space orientation="vertical" size={0}>
                <Space wrap>
                  <b>{v.visitDate}</b>
                  {(v.people ?? []).join("、")}
                </Space>
                <span>{v.notes}</span>
              </Space>
            </List.Item>
          )}
        />
      )}
    </Card>
  );
}

function Stewards({ tenant, e }: { tenant: string; e: Enterprise }) {
  const q = useAssignmentHistory(tenant, e.name ?? "");
  return (
    <Card title="管家与交接记录">
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Table<Assignment>
          rowKey="name"
          size="small"
          loading={q.isLoading}
          dataSource={q.data?.assignments}
          pagination={false}
          scroll={{ x: "max-content" }}
          aria-label="管家与交接记录"
          locale={{ emptyText: <Typography.Text type="secondary">尚未指定管家</Typography.Text> }}
          columns={[
            { title: "类别", dataIndex: "kind", render: (k: string) => stewardKindLabel[k] ?? k },
            { title: "管家", render: (_, a) => a.stewardName || a.steward },
            { title: "包保", dataIndex: "pairing", render: (p: boolean) => (p ? "是" : "否") },
            { title: "起", dataIndex: "startTime", render: formatTime },
            { title: "止", dataIndex: "endTime", render: (t?: string) => (t ? formatTime(t) : <Tag color="green">在任</Tag>) },
            { title: "接任", dataIndex: "successor", render: (s?: string) => s || "—" },
            { title: "交接说明", dataIndex: "handoverNote", render: (s?: string) => s || "—" },
          ]}
        />
      )}
    </Card>
  );
}
