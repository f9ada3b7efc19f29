// 案件详情: one case — parties and the conflict check, fee support, assignment, the
// court linkage (case number, hearings, docket entries, stricken and sealed ones shown as
// such), the trial clock with its suspensions and extensions, preservation measures with
// what is left to the enterprise, bankruptcy coordination, the case file — and the
// actions its state allows.
import { Card, Col, Descriptions, List, Row, Skeleton, Space, Table, Tag, Timeline, Typography } from "antd";
import { useParams } from "react-router";
import { split } from "../../api/client";
import { ErrorAlert, showError } from "../../shared/feedback";
import { FormActionBar } from "../../shared/formActions";
import { formatYuan } from "../../shared/money";
import { PreviewButton } from "../../shared/preview";
import { Countdown, formatTime } from "../../shared/time";
import { UploadButton } from "../../shared/upload";
import { caseActions, poster } from "./actions";
import {
  arrivalLabel,
  assigneeRoleLabel,
  caseStateLabel,
  caseTypeLabel,
  enforcementLabel,
  entryStatusLabel,
  flexibilityLabel,
  hearingOutcomeLabel,
  measureKindLabel,
  registering,
  stepKindLabel,
  suspensionReasonLabel,
  useCase,
  useCaseAct,
  usePolicy,
  type Case,
} from "./api";
import { TrialDays } from "./CaseTable";

type Preservation = NonNullable<Case["preservations"]>[number];

export default function CasePage() {
  const { tenant = "", id = "" } = useParams();
  const q = useCase(tenant, id);
  const act = useCaseAct(tenant, id);
  const policy = usePolicy();
  const c = q.data;
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!c) return <Skeleton active />;
  const st = caseStateLabel[c.state ?? "STATE_UNSPECIFIED"];
  const courts = policy.data?.courts ?? [];
  const courtTitle = courts.find((ct) => ct.id === c.court)?.title ?? c.court;
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={
          <Space wrap>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {c.applicant?.name} · {caseTypeLabel[c.caseType ?? "CASE_TYPE_UNSPECIFIED"]}案件
            </Typography.Title>
            <Tag color={st.color} data-testid="case-state">
              {st.text}
            </Tag>
            {c.urgency === "URGENCY_URGENT" && <Tag color="red">紧急</Tag>}
            {c.escalatedTo && <Tag color="volcano">已上报 {c.escalatedTo}</Tag>}
          </Space>
        }
      >
        <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 3 }}>
          <Descriptions.Item label="案件编号">{id}</Descriptions.Item>
          <Descriptions.Item label="案件来源">{arrivalLabel[c.arrival ?? "ARRIVAL_UNSPECIFIED"]}</Descriptions.Item>
          <Descriptions.Item label="标的额">{formatYuan(c.claimAmount)}</Descriptions.Item>
          <Descriptions.Item label="立案期限">
            {registering(c) ? (
              <span data-testid="registration-countdown">
                <Countdown due={c.registrationDueTime} label="立案期限" />
              </span>
            ) : c.registrationTime ? (
              `${formatTime(c.registrationTime)} 已立案`
            ) : (
              formatTime(c.registrationDueTime)
            )}
          </Descriptions.Item>
          <Descriptions.Item label="审限">{c.trial?.dueTime ? <TrialDays c={c} /> : "—"}</Descriptions.Item>
          <Descriptions.Item label="受理时间">{formatTime(c.createTime)}</Descriptions.Item>
          <Descriptions.Item label="承办人">
            {c.assignee ? `${c.assignee}（${assigneeRoleLabel[c.assigneeRole ?? "ASSIGNEE_ROLE_UNSPECIFIED"]}）` : "未指派"}
          </Descriptions.Item>
          <Descriptions.Item label="受理法院">{courtTitle || "—"}</Descriptions.Item>
          <Descriptions.Item label="案号">{c.courtCaseNumber || "—"}</Descriptions.Item>
          {c.ticket && <Descriptions.Item label="来源工单">{c.ticket}</Descriptions.Item>}
          {c.judgment?.outcome && <Descriptions.Item label="裁判结果">{`${c.judgment.outcome}（${formatTime(c.judgment.judgmentTime)}）`}</Descriptions.Item>}
          {c.enforcement && c.enforcement !== "ENFORCEMENT_STATUS_UNSPECIFIED" && <Descriptions.Item label="执行">{enforcementLabel[c.enforcement]}</Descriptions.Item>}
        </Descriptions>
        <Typography.Paragraph style={{ marginTop: 16 }}>
          <Typography.Text strong>诉讼请求：</Typography.Text>
          {c.claims}
        </Typography.Paragraph>
        <FormActionBar<Case> actions={caseActions(c, courts)} mutate={act.mutateAsync} pending={act.isPending} label="案件操作" />
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Parties c={c} />
        </Col>
        <Col xs={24} xl={12}>
          <FeeSupport c={c} />
        </Col>
        <Col xs={24} xl={12}>
          <Docket c={c} />
        </Col>
        <Col xs={24} xl={12}>
          <Hearings c={c} />
        </Col>
        <Col xs={24}>
          <TrialClock c={c} />
        </Col>
        <Col xs={24}>
          <Preservations rows={c.preservations ?? []} />
        </Col>
        {c.caseType === "CASE_TYPE_BANKRUPTCY" && (
          <Col xs={24}>
            <Bankruptcy c={c} />
          </Col>
        )}
        <Col xs={24} xl={12}>
          <Files c={c} tenant={tenant} onAdd={(document, confidential) => act.mutateAsync(() => poster(c)("addFile", { document, confidential })).catch(() => {})} />
        </Col>
        <Col xs={24} xl={12}>
          <Card title="预警记录">
            <List
              dataSource={c.alerts ?? []}
              locale={{ emptyText: <Typography.Text type="secondary">暂无预警</Typography.Text> }}
              renderItem={(a) => (
                <List.Item>
                  {formatTime(a.createTime)} {a.clock === "registration" ? "立案期限" : a.clock === "trial" ? "审限" : a.clock}已用 {a.threshold}%
                  {a.escalatedTo ? `，上报 ${a.escalatedTo}` : ""}
                </List.Item>
              )}
            />
          </Card>
        </Col>
      </Row>
    </Space>
  );
}

function Parties({ c }: { c: Case }) {
  return (
    <Card title="当事人与利益冲突审查">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label="申请企业">
          {c.applicant?.name}（{c.applicant?.creditCode}）
        </Descriptions.Item>
        {(c.counterparties ?? []).map((p, i) => (
          <Descriptions.Item key={i} label={`对方当事人 ${i + 1}`}>
            {p.name}
            {p.creditCode ? `（${p.creditCode}）` : ""}
          </Descriptions.Item>
        ))}
      </Descriptions>
      <div style={{ marginTop: 12 }}>
        {(c.conflicts ?? []).length === 0 ? (
          <Tag color="green">未发现利益冲突</Tag>
        ) : (
          <List
            header={<Typography.Text type="danger">发现可能的利益冲突</Typography.Text>}
            dataSource={c.conflicts}
            renderItem={(k) => (
              <List.Item>
                {split(k.case ?? "").id}：{k.party} — {k.reason}
              </List.Item>
            )}
          />
        )}
      </div>
    </Card>
  );
}

function FeeSupport({ c }: { c: Case }) {
  const f = c.feeSupport;
  const hardship = Object.entries(c.hardship ?? {});
  const names: Record<string, string> = { revenue_drop_percent: "营业收入同比下降（%）", months_in_arrears: "欠缴社保或工资（月）", debt_ratio_percent: "资产负债率（%）" };
  return (
    <Card title="诉讼费用支持">
      <Descriptions size="small" column={1} bordered>
        <Descriptions.Item label="困难情况">{hardship.length ? hardship.map(([k, v]) => `${names[k] ?? k} ${v}`).join("；") : "—"}</Descriptions.Item>
        <Descriptions.Item label="预估诉讼费">{formatYuan(f?.estimatedFee)}</Descriptions.Item>
        <Descriptions.Item label="决定">
          {!f?.decided ? <Tag>待审核</Tag> : f.eligible ? <Tag color="green">支持 {formatYuan(f.amount)}</Tag> : <Tag color="default">不予支持</Tag>}
        </Descriptions.Item>
        <Descriptions.Item label="理由">{(f?.reasons ?? []).join("；") || "—"}</Descriptions.Item>
        {f?.decided && <Descriptions.Item label="审核">{`${f.decidedBy ?? ""} ${formatTime(f.decideTime)}`}</Descriptions.Item>}
      </Descriptions>
    </Card>
  );
}

function Docket({ c }: { c: Case }) {
  return (
    <Card title="案卷（条目只撤销或密封，从不删除）">
      <List
        dataSource={c.docket ?? []}
        locale={{ emptyText: <Typography.Text type="secondary">尚无案卷条目</Typography.Text> }}
        renderItem={(e) => {
          const l = entryStatusLabel[e.status ?? "ENTRY_STATUS_UNSPECIFIED"];
          const stricken = e.status === "ENTRY_STATUS_STRICKEN";
          const sealed = e.status === "ENTRY_STATUS_SEALED";
          return (
            <List.Item>
              <Space wrap>
                <b>{e.id}</b>
                {sealed ? <Typography.Text type="secondary">（密封条目，内容不予显示）</Typography.Text> : stricken ? <Typography.Text delete>{e.title}</Typography.Text> : e.title}
                <Tag color={l.color}>{l.text}</Tag>
                {e.statusReason && <span>理由：{e.statusReason}</span>}
                <span>{formatTime(e.recordTime)}</span>
                {e.document && !sealed && <PreviewButton document={e.document} />}
              </Space>
            </List.Item>
          );
        }}
      />
    </Card>
  );
}

function Hearings({ c }: { c: Case }) {
  return (
    <Card title="庭审">
      <List
        dataSource={c.hearings ?? []}
        locale={{ emptyText: <Typography.Text type="secondary">尚未排期</Typography.Text> }}
        renderItem={(h) => (
          <List.Item>
            <Space wrap>
              <b>{h.id}</b>
              {formatTime(h.startTime)}
              {h.courtroom}
              <Tag>{hearingOutcomeLabel[h.outcome ?? "HEARING_OUTCOME_UNSPECIFIED"]}</Tag>
              {h.overrideReason && <Tag color="orange">非工作日：{h.overrideReason}</Tag>}
              {h.note}
            </Space>
          </List.Item>
        )}
      />
    </Card>
  );
}

function TrialClock({ c }: { c: Case }) {
  const t = c.trial;
  return (
    <Card title="审限（普通程序 90 日，中止期间不计，延长须批准）">
      {!t?.startTime ? (
        <Typography.Text type="secondary">立案后开始计算（该类案件无本地审限时不计算）。</Typography.Text>
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} md={12}>
            <Descriptions size="small" column={1} bordered>
              <Descriptions.Item label="起算">{formatTime(t.startTime)}</Descriptions.Item>
              <Descriptions.Item label="期限">{t.limitDays} 日</Descriptions.Item>
              <Descriptions.Item label="已用 / 剩余">
                <TrialDays c={c} />
              </Descriptions.Item>
              <Descriptions.Item label="届满">{c.state === "STATE_REGISTERED" ? <Countdown due={t.dueTime} paused={t.paused} label="审限" /> : formatTime(t.dueTime)}</Descriptions.Item>
              <Descriptions.Item label="法定审限（六个月）">{formatTime(t.statutoryDueTime)}</Descriptions.Item>
            </Descriptions>
          </Col>
          <Col xs={24} md={12}>
            <Typography.Title level={5}>中止与延长</Typography.Title>
            <Timeline
              items={[
                ...(t.suspensions ?? []).map((s) => ({
                  color: s.endTime ? "gray" : "orange",
                  content: `中止（${suspensionReasonLabel[s.reason ?? "SUSPENSION_REASON_UNSPECIFIED"]}）：${formatTime(s.startTime)} — ${s.endTime ? formatTime(s.endTime) : "至今"}`,
                })),
                ...(t.extensions ?? []).map((e) => ({
                  color: "blue",
                  content: `延长 ${e.days} 日：${e.reason}（${e.approval}，${formatTime(e.recordTime)}）`,
                })),
              ]}
            />
            {(t.suspensions ?? []).length + (t.extensions ?? []).length === 0 && <Typography.Text type="secondary">无</Typography.Text>}
          </Col>
        </Row>
      )}
    </Card>
  );
}

function Preservations({ rows }: { rows: Preservation[] }) {
  return (
    <Card title="保全措施（生产经营、研发中的财产原则上不查封、扣押、冻结）">
      <Table<Preservation>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={rows}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: <Typography.Text type="secondary">无保全措施</Typography.Text> }}
        aria-label="保全措施"
        columns={[
          { title: "编号", dataIndex: "id" },
          { title: "措施", dataIndex: "kind", render: (k: string) => measureKindLabel[k] ?? k },
          { title: "财产", dataIndex: "asset" },
          { title: "价值", dataIndex: "amount", render: (a: string) => formatYuan(a) },
          { title: "依据", dataIndex: "legalBasis", responsive: ["lg"] },
          {
            title: "灵活措施",
            render: (_, p) => (
              <Space size={4} wrap>
                <Tag color={p.flexibility === "FLEXIBILITY_NONE" ? "default" : "green"}>{flexibilityLabel[p.flexibility ?? "FLEXIBILITY_UNSPECIFIED"]}</Tag>
                {p.substitute && <span>以「{p.substitute}」置换</span>}
                {p.productionAsset && <Tag color="gold">生产经营财产</Tag>}
              </Space>
            ),
          },
          {
            title: "预留给企业",
            render: (_, p) =>
              [
                p.reservedWorkingCapital ? `流动资金 ${formatYuan(p.reservedWorkingCapital)}` : "",
                (p.reservedAccounts ?? []).length ? `账户 ${p.reservedAccounts!.join("、")}` : "",
                (p.reservedEquipment ?? []).length ? `设备 ${p.reservedEquipment!.join("、")}` : "",
              ]
                .filter(Boolean)
                .join("；") || "—",
          },
          { title: "状态", render: (_, p) => (p.released ? <Tag>已解除 {formatTime(p.releaseTime)}</Tag> : <Tag color="orange">执行中</Tag>) },
        ]}
      />
    </Card>
  );
}

function Bankruptcy({ c }: { c: Case }) {
  return (
    <Card title="府院联动（破产处置）">
      <List
        dataSource={c.bankruptcySteps ?? []}
        locale={{ emptyText: <Typography.Text type="secondary">尚无联动事项</Typography.Text> }}
        renderItem={(s) => (
          <List.Item>
            <Space wrap>
              <b>{s.id}</b>
              <Tag>{stepKindLabel[s.kind ?? "STEP_KIND_UNSPECIFIED"]}</Tag>
              {s.title}
              <span>责任部门：{s.department}</span>
              {s.done ? <Tag color="green">已完成 {formatTime(s.doneTime)}</Tag> : s.dueTime ? <Countdown due={s.dueTime} label="完成时限" /> : <Tag>进行中</Tag>}
              {s.result}
            </Space>
          </List.Item>
        )}
      />
    </Card>
  );
}

function Files({ c, tenant, onAdd }: { c: Case; tenant: string; onAdd: (document: string, confidential: boolean) => void }) {
  const open = c.state !== "STATE_CLOSED";
  return (
    <Card title="案件材料">
      <List
        dataSource={c.files ?? []}
        locale={{ emptyText: <Typography.Text type="secondary">尚无材料</Typography.Text> }}
        renderItem={(f) => (
          <List.Item>
            <Space wrap>
              {split(f.document ?? "").id}
              {f.confidential && <Tag color="magenta">涉密</Tag>}
              {f.legalHold && <Tag color="purple">法律保全</Tag>}
              <PreviewButton document={f.document ?? ""} />
            </Space>
          </List.Item>
        )}
      />
      {open && (
        <Space wrap style={{ marginTop: 12 }}>
          <UploadButton tenant={tenant} label="上传案件材料" small query={{ owner: c.name }} onDone={(d) => onAdd(d.name ?? "", false)} onError={showError} />
          <UploadButton
            tenant={tenant}
            label="上传涉密材料"
            small
            query={{ owner: c.name, classification: "CONFIDENTIAL" }}
            onDone={(d) => onAdd(d.name ?? "", true)}
            onError={showError}
          />
        </Space>
      )}
    </Card>
  );
}
