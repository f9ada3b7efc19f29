// 工单详情: one ticket — the complaint, its deadlines counting down, the actions its state
// allows (claim, reply, close, return, extension, joint parts, hard case, urge), and the
// updates the complainant sees.
import { Card, Col, Descriptions, List, Row, Skeleton, Space, Tag, Typography } from "antd";
import { useParams } from "react-router";
import { data, split, tickets } from "../../api/client";
import { useSession } from "../../app/session";
import { ActionBar, type Action } from "../../shared/actions";
import { ErrorAlert } from "../../shared/feedback";
import { categoryLabel, clockLabel, partStateLabel, priorityLabel, sourceLabel, ticketStateLabel, type Ticket } from "../../shared/labels";
import { Countdown, formatTime } from "../../shared/time";
import { usePublicView, useTicket, useTicketAct } from "./api";

const routes = {
  dispatch: "/v1/tenants/{tenant}/tickets/{ticket}:dispatch",
  claim: "/v1/tenants/{tenant}/tickets/{ticket}:claim",
  start: "/v1/tenants/{tenant}/tickets/{ticket}:start",
  reply: "/v1/tenants/{tenant}/tickets/{ticket}:reply",
  return: "/v1/tenants/{tenant}/tickets/{ticket}:return",
  pause: "/v1/tenants/{tenant}/tickets/{ticket}:pause",
  resume: "/v1/tenants/{tenant}/tickets/{ticket}:resume",
  requestExtension: "/v1/tenants/{tenant}/tickets/{ticket}:requestExtension",
  decideExtension: "/v1/tenants/{tenant}/tickets/{ticket}:decideExtension",
  markHardCase: "/v1/tenants/{tenant}/tickets/{ticket}:markHardCase",
  explain: "/v1/tenants/{tenant}/tickets/{ticket}:explain",
  close: "/v1/tenants/{tenant}/tickets/{ticket}:close",
  visit: "/v1/tenants/{tenant}/tickets/{ticket}:visit",
  urge: "/v1/tenants/{tenant}/tickets/{ticket}:urge",
  claimPart: "/v1/tenants/{tenant}/tickets/{ticket}:claimPart",
  finishPart: "/v1/tenants/{tenant}/tickets/{ticket}:finishPart",
} as const;

function actionsFor(t: Ticket, myTenant: string): Action<Ticket>[] {
  const { tenant, id } = split(t.name ?? "");
  const post = (route: keyof typeof routes, body: Record<string, unknown>) =>
    data(tickets.POST(routes[route], { params: { path: { tenant, ticket: id } }, body: { etag: t.etag, ...body } as never })) as Promise<Ticket>;
  const list: Action<Ticket>[] = [];
  const s = t.state;
  const working = s === "STATE_CLAIMED" || s === "STATE_IN_PROGRESS";
  if (s === "STATE_RECEIVED")
    list.push({
      key: "dispatch",
      label: "派单",
      primary: true,
      fields: [
        { name: "assigneeTenant", label: "承办单位", kind: "text", required: true, initial: tenant },
        { name: "assigneeDepartment", label: "承办部门", kind: "text" },
      ],
      run: (v) => post("dispatch", v),
      done: "已派单",
    });
  if (s === "STATE_DISPATCHED") list.push({ key: "claim", label: "签收", primary: true, confirm: "确认签收本工单？", run: () => post("claim", {}), done: "已签收" });
  if (s === "STATE_CLAIMED") list.push({ key: "start", label: "开始办理", primary: true, confirm: "开始办理本工单？", run: () => post("start", {}), done: "已开始办理" });
  if (s === "STATE_IN_PROGRESS")
    list.push({
      key: "reply",
      label: "答复",
      primary: true,
      fields: [{ name: "reply", label: "答复内容", kind: "textarea", required: true }],
      run: (v) => post("reply", v),
      done: "已答复",
    });
  if (s === "STATE_REPLIED")
    list.push({
      key: "close",
      label: "办结",
      primary: true,
      fields: [{ name: "summary", label: "办结说明", kind: "textarea", required: true }],
      run: (v) => post("close", v),
      done: "已办结",
    });
  if (s === "STATE_CLOSED")
    list.push({ key: "visit", label: "回访", fields: [{ name: "note", label: "回访记录", kind: "textarea", required: true }], run: (v) => post("visit", v), done: "已回访" });
  if (s === "STATE_DISPATCHED" || s === "STATE_CLAIMED")
    list.push({
      key: "return",
      label: "退单",
      danger: true,
      fields: [{ name: "reason", label: "退单理由", kind: "textarea", required: true }],
      run: (v) => post("return", v),
      done: "已退单",
    });
  if (working && !t.pendingExtension)
    list.push({
      key: "extension",
      label: "申请延期",
      fields: [
        { name: "workingDays", label: "延期（工作日）", kind: "number", required: true, initial: 5 },
        { name: "reason", label: "延期理由", kind: "textarea", required: true },
      ],
      run: (v) => post("requestExtension", v),
      done: "延期申请已提交",
    });
  if (t.pendingExtension)
    list.push(
      { key: "approve", label: "批准延期", confirm: `批准延期 ${t.pendingExtension.workingDays} 个工作日？`, run: () => post("decideExtension", { approve: true }), done: "已批准延期" },
      { key: "deny", label: "驳回延期", confirm: "驳回延期申请？", run: () => post("decideExtension", { approve: false }), done: "已驳回延期" },
    );
  if (working && !t.hardCase)
    list.push({ key: "hard", label: "标记疑难件", fields: [{ name: "reason", label: "疑难原因", kind: "textarea", required: true }], run: (v) => post("markHardCase", v), done: "已标记疑难件" });
  if (t.hardCase && t.explainDue && !t.explainTime)
    list.push({ key: "explain", label: "提交情况说明", fields: [{ name: "explanation", label: "情况说明", kind: "textarea", required: true }], run: (v) => post("explain", v), done: "情况说明已提交" });
  if (working && !t.paused)
    list.push({ key: "pause", label: "暂停计时", fields: [{ name: "reason", label: "暂停原因", kind: "textarea", required: true }], run: (v) => post("pause", v), done: "已暂停计时" });
  if (t.paused) list.push({ key: "resume", label: "恢复计时", confirm: "恢复计时？", run: () => post("resume", {}), done: "已恢复计时" });
  for (const part of t.coHandlers ?? []) {
    if (part.tenant !== myTenant) continue;
    if (part.state === "PART_STATE_DISPATCHED")
      list.push({ key: "claimPart", label: "联办签收", confirm: "签收本单位的联办部分？", run: () => post("claimPart", { tenant: part.tenant }), done: "已签收联办部分" });
    if (part.state === "PART_STATE_CLAIMED")
      list.push({
        key: "finishPart",
        label: "联办办结",
        fields: [{ name: "result", label: "联办结果", kind: "textarea", required: true }],
        run: (v) => post("finishPart", { tenant: part.tenant, ...v }),
        done: "联办部分已办结",
      });
  }
  if (s !== "STATE_CLOSED" && s !== "STATE_VISITED" && s !== "STATE_RATED")
    list.push({ key: "urge", label: "督办", fields: [{ name: "note", label: "督办意见", kind: "textarea", required: true }], run: (v) => post("urge", v), done: "已督办" });
  return list;
}

export default function TicketPage() {
  const { tenant = "", id = "" } = useParams();
  const session = useSession();
  const q = useTicket(tenant, id);
  const act = useTicketAct(tenant, id);
  const pub = usePublicView(tenant, id);
  const t = q.data;
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!t) return <Skeleton active />;
  const state = ticketStateLabel[t.state ?? "STATE_UNSPECIFIED"];
  const done = t.state === "STATE_CLOSED" || t.state === "STATE_VISITED" || t.state === "STATE_RATED";
  const pri = priorityLabel[t.priority ?? "PRIORITY_UNSPECIFIED"];
  const view = pub.data?.[0];
  return (
    <Space orientation="vertical" size={16} style={{ width: "100%" }}>
      <Card
        title={
          <Space wrap>
            <Typography.Title level={3} style={{ margin: 0 }}>
              {t.title || id}
            </Typography.Title>
            <Tag color={state.color} data-testid="ticket-state">
              {state.text}
            </Tag>
            <Tag color={pri.color}>{pri.text}</Tag>
            {t.hardCase && <Tag color="magenta">疑难件</Tag>}
            {(t.urgeCount ?? 0) > 0 && <Tag color="volcano">督办 {t.urgeCount} 次</Tag>}
          </Space>
        }
      >
        <Descriptions size="small" bordered column={{ xs: 1, md: 2, xl: 3 }}>
          <Descriptions.Item label="工单号">{id}</Descriptions.Item>
          <Descriptions.Item label="来源">{sourceLabel[t.source ?? "SOURCE_UNSPECIFIED"]}</Descriptions.Item>
          <Descriptions.Item label="类别">{categoryLabel[t.category ?? ""] ?? (t.category || "—")}</Descriptions.Item>
          <Descriptions.Item label="诉求人">{t.complainant?.name || "—"}</Descriptions.Item>
          <Descriptions.Item label="联系电话">{t.complainant?.phone || "—"}</Descriptions.Item>
          <Descriptions.Item label="地址">{t.address || "—"}</Descriptions.Item>
          <Descriptions.Item label="承办单位">{t.assigneeTenant || "—"}</Descriptions.Item>
          <Descriptions.Item label="承办部门">{t.assigneeDepartment || "—"}</Descriptions.Item>
          <Descriptions.Item label="承办人">{t.assigneeHandler || "—"}</Descriptions.Item>
          <Descriptions.Item label="响应期限">
            {t.responseTime ? `已于 ${formatTime(t.responseTime)} 响应` : <Countdown due={t.responseDue} paused={t.paused} provisional={t.responseDueProvisional} label="响应期限" />}
          </Descriptions.Item>
          <Descriptions.Item label="办结期限">
            {done ? formatTime(t.closeDue) : <Countdown due={t.closeDue} paused={t.paused} provisional={t.closeDueProvisional} label="办结期限" />}
          </Descriptions.Item>
          <Descriptions.Item label="已延期">{t.extendedWorkingDays ? `${t.extendedWorkingDays} 个工作日` : "—"}</Descriptions.Item>
          {t.pendingExtension && (
            <Descriptions.Item label="待批延期">
              {t.pendingExtension.workingDays} 个工作日：{t.pendingExtension.reason}
            </Descriptions.Item>
          )}
          {t.returnCount ? <Descriptions.Item label="退单">{`${t.returnCount} 次：${t.returnReason ?? ""}`}</Descriptions.Item> : null}
          {t.hardCase && <Descriptions.Item label="疑难原因">{t.hardReason}</Descriptions.Item>}
          {t.explainDue && (
            <Descriptions.Item label="情况说明">{t.explanation ? t.explanation : <Countdown due={t.explainDue} label="情况说明期限" />}</Descriptions.Item>
          )}
        </Descriptions>
        <Typography.Paragraph style={{ marginTop: 16 }}>
          <Typography.Text strong>诉求内容：</Typography.Text>
          {t.description}
        </Typography.Paragraph>
        {t.reply && (
          <Typography.Paragraph>
            <Typography.Text strong>答复：</Typography.Text>
            {t.reply}
          </Typography.Paragraph>
        )}
        {t.closeSummary && (
          <Typography.Paragraph>
            <Typography.Text strong>办结说明：</Typography.Text>
            {t.closeSummary}
          </Typography.Paragraph>
        )}
        <ActionBar<Ticket>
          actions={actionsFor(t, session.tenant)}
          mutate={act.mutateAsync}
          pending={act.isPending}
          tenant={tenant}
          owner={t.name ?? ""}
          label="工单操作"
        />
      </Card>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title="联合办理">
            <List
              dataSource={t.coHandlers ?? []}
              locale={{ emptyText: <Typography.Text type="secondary">无联办单位</Typography.Text> }}
              renderItem={(p) => (
                <List.Item>
                  <Space wrap>
                    <b>{p.tenant}</b>
                    {p.department}
                    <Tag>{partStateLabel[p.state ?? "PART_STATE_UNSPECIFIED"]}</Tag>
                    {p.due && p.state !== "PART_STATE_DONE" && <Countdown due={p.due} label="联办期限" />}
                    {p.result}
                  </Space>
                </List.Item>
              )}
            />
          </Card>
          <Card title="预警与督办" style={{ marginTop: 16 }}>
            <List
              dataSource={t.alerts ?? []}
              locale={{ emptyText: <Typography.Text type="secondary">暂无预警</Typography.Text> }}
              renderItem={(a) => (
                <List.Item>
                  {formatTime(a.createTime)} {clockLabel(a.clock)}已用 {a.threshold}%{a.escalatedTo ? `，上报 ${a.escalatedTo}` : ""}
                </List.Item>
              )}
            />
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title="群众看到的进展">
            {pub.error ? (
              <ErrorAlert error={pub.error} />
            ) : !view ? (
              <Skeleton active />
            ) : (
              <Descriptions size="small" column={1} bordered>
                <Descriptions.Item label="状态">{view.status === "closed" ? "已办结" : "办理中"}</Descriptions.Item>
                <Descriptions.Item label="进展说明">{view.status_notes || "—"}</Descriptions.Item>
                <Descriptions.Item label="承办单位">{view.agency_responsible || "—"}</Descriptions.Item>
                <Descriptions.Item label="预计办结">{formatTime(view.expected_datetime)}</Descriptions.Item>
                <Descriptions.Item label="最近更新">{formatTime(view.updated_datetime)}</Descriptions.Item>
              </Descriptions>
            )}
          </Card>
        </Col>
      </Row>
    </Space>
  );
}
