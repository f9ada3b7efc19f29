// 办理过程: what happened to an application, in order: filing, acceptance and each step,
// the deadline warnings the sweep raised, completion, mailing and the rating.
import { Timeline as AntTimeline, Typography } from "antd";
import type { components as M } from "../../api/gen/matters";
import { appStateLabel, clockLabel, type Application } from "../../shared/labels";
import { formatTime } from "../../shared/time";

type Alert = M["schemas"]["v1Alert"];

interface Entry {
  time: string;
  text: string;
  color: string;
}

export function AppTimeline({ app, alerts }: { app: Application; alerts: Alert[] }) {
  const entries: Entry[] = [];
  if (app.createTime) entries.push({ time: app.createTime, text: `提交申请（${app.applicant?.name ?? "申请人"}）`, color: "blue" });
  (app.steps ?? []).forEach((s, i) => {
    if (s.startTime) entries.push({ time: s.startTime, text: `第 ${i + 1} 环节「${s.name}」开始`, color: "blue" });
    if (s.endTime)
      entries.push({ time: s.endTime, text: `第 ${i + 1} 环节「${s.name}」完成：${s.result || "—"}（用时 ${s.workingDaysUsed ?? 0} 个工作日）`, color: "green" });
  });
  for (const a of alerts) {
    if (!a.createTime) continue;
    const over = a.threshold === 100;
    entries.push({
      time: a.createTime,
      text: `${clockLabel(a.clock)}已用 ${a.threshold}%${over ? "，已超期" : "，预警"}${a.escalatedTo ? `，上报 ${a.escalatedTo}` : ""}`,
      color: over ? "red" : "orange",
    });
  }
  if (app.completeTime) entries.push({ time: app.completeTime, text: `办结（用时 ${app.workingDaysUsed ?? 0} 个工作日）`, color: "green" });
  if (app.mailing?.mailTime)
    entries.push({ time: app.mailing.mailTime, text: `证照寄出：${app.mailing.carrier} ${app.mailing.trackingNumber}`, color: "green" });
  entries.sort((a, b) => a.time.localeCompare(b.time));
  const state = appStateLabel[app.state ?? "STATE_UNSPECIFIED"];
  return (
    <>
      <AntTimeline
        items={entries.map((e) => ({
          color: e.color,
          content: (
            <>
              <Typography.Text type="secondary">{formatTime(e.time)}</Typography.Text> {e.text}
            </>
          ),
        }))}
      />
      <Typography.Text>当前状态：{state.text}</Typography.Text>
      {app.correctionNote && <Typography.Paragraph>补正说明：{app.correctionNote}</Typography.Paragraph>}
      {(app.rejectionReasons ?? []).length > 0 && <Typography.Paragraph>不予受理理由：{app.rejectionReasons!.join("；")}</Typography.Paragraph>}
    </>
  );
}
