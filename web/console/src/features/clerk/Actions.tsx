// The actions an application allows in its state. Each sends the application's etag, so
// two clerks acting on the same application cannot both win.
import { data, matters, split } from "../../api/client";
import type { components as M } from "../../api/gen/matters";
import { ActionBar, type Action as GenericAction } from "../../shared/actions";
import type { Application } from "../../shared/labels";
import { useAct } from "./api";

type Matter = M["schemas"]["v1Matter"];
type Action = GenericAction<Application>;

// actionsFor lists what can be done to app in its state (the service decides finally:
// a refusal shows its code).
function actionsFor(app: Application, matter?: Matter): Action[] {
  const { tenant, id } = split(app.name ?? "");
  const path = { tenant, application: id };
  const etag = app.etag;
  const post = (route: keyof typeof routes, body: Record<string, unknown>) =>
    data(matters.POST(routes[route], { params: { path }, body: { etag, ...body } as never })) as Promise<Application>;
  const handedIn = new Set((app.materials ?? []).map((m) => m.name));
  const notIn = (matter?.materials ?? []).map((m) => m.name ?? "").filter((n) => n && !handedIn.has(n));
  const deferrable = (matter?.materials ?? []).filter((m) => m.requirement === "REQUIREMENT_DEFERRABLE").map((m) => m.name ?? "");
  const steps = matter?.steps ?? [];
  const current = app.currentStep ?? 0;
  const list: Action[] = [];
  switch (app.state) {
    case "STATE_SUBMITTED":
      list.push(
        { key: "accept", label: "受理", primary: true, confirm: "材料齐全，确认受理？", run: () => post("accept", {}), done: "已受理" },
        {
          key: "deferred",
          label: "容缺受理",
          fields: [
            { name: "missingMaterials", label: "容缺材料", kind: "pick", required: true, options: notIn.filter((n) => deferrable.includes(n)) },
            { name: "commitmentDocument", label: "容缺承诺书", kind: "upload", required: true },
            { name: "dueWorkingDays", label: "补齐期限（工作日）", kind: "number", required: true, initial: 5 },
          ],
          run: (v) => post("acceptDeferred", v),
          done: "已容缺受理",
        },
        {
          key: "correction",
          label: "补正告知",
          fields: [
            { name: "missingMaterials", label: "需补正的材料", kind: "pick", required: true, options: notIn.length ? notIn : (matter?.materials ?? []).map((m) => m.name ?? "") },
            { name: "note", label: "补正说明", kind: "textarea", required: true },
          ],
          run: (v) => post("requestCorrection", v),
          done: "已出具一次性告知",
        },
        {
          key: "reject",
          label: "不予受理",
          danger: true,
          fields: [{ name: "reasons", label: "不予受理理由", kind: "textarea", required: true }],
          run: (v) => post("reject", { reasons: String(v.reasons).split(/\n+/).filter(Boolean) }),
          done: "已不予受理",
        },
      );
      break;
    case "STATE_CORRECTION_REQUESTED":
      list.push({
        key: "resubmit",
        label: "收取补正材料",
        primary: true,
        fields: [{ name: "materials", label: "补正材料", kind: "uploads", required: true, uploads: app.missingMaterials ?? [] }],
        run: (v) => post("resubmit", v),
        done: "补正材料已收取",
      });
      break;
    case "STATE_ACCEPTED_DEFERRED":
      list.push({
        key: "supply",
        label: "补齐容缺材料",
        fields: [{ name: "materials", label: "容缺材料", kind: "uploads", required: true, uploads: app.missingMaterials ?? [] }],
        run: (v) => post("supplyDeferred", v),
        done: "容缺材料已补齐",
      });
      break;
  }
  if ((app.state === "STATE_ACCEPTED" || app.state === "STATE_ACCEPTED_DEFERRED") && current < Math.max(steps.length, 1)) {
    const last = current >= steps.length - 1;
    const stepName = steps[current]?.name ?? `第 ${current + 1} 环节`;
    list.push({
      key: "step",
      label: last ? `完成「${stepName}」并办结` : `完成「${stepName}」`,
      primary: true,
      fields: [
        { name: "result", label: "办理结果", kind: "textarea", required: true, initial: last ? "准予办理" : "同意" },
        ...(last ? [{ name: "resultDocuments", label: "结果文书（可选）", kind: "upload" as const }] : []),
      ],
      run: (v) =>
        post("completeStep", {
          step: current,
          result: v.result,
          resultDocuments: v.resultDocuments ? [v.resultDocuments] : undefined,
        }),
      done: last ? "已办结" : "环节已完成",
    });
  }
  if (app.state === "STATE_SUBMITTED" || app.state === "STATE_ACCEPTED" || app.state === "STATE_ACCEPTED_DEFERRED") {
    list.push({
      key: "assign",
      label: "分派窗口",
      fields: [
        { name: "window", label: "窗口编号", kind: "text", required: true, initial: app.window },
        { name: "handler", label: "承办人（账号标识，留空为本人）", kind: "text", initial: app.handler },
      ],
      run: (v) => post("assign", v),
      done: "已分派",
    });
  }
  if (app.state === "STATE_COMPLETED" && !app.mailing) {
    list.push({
      key: "mail",
      label: "邮寄证照",
      fields: [
        { name: "carrier", label: "快递公司", kind: "text", required: true, initial: "中国邮政 EMS" },
        { name: "trackingNumber", label: "运单号", kind: "text", required: true },
      ],
      run: (v) => post("mail", v),
      done: "已登记邮寄",
    });
  }
  return list;
}

const routes = {
  accept: "/v1/tenants/{tenant}/applications/{application}:accept",
  acceptDeferred: "/v1/tenants/{tenant}/applications/{application}:acceptDeferred",
  requestCorrection: "/v1/tenants/{tenant}/applications/{application}:requestCorrection",
  resubmit: "/v1/tenants/{tenant}/applications/{application}:resubmit",
  supplyDeferred: "/v1/tenants/{tenant}/applications/{application}:supplyDeferred",
  reject: "/v1/tenants/{tenant}/applications/{application}:reject",
  completeStep: "/v1/tenants/{tenant}/applications/{application}:completeStep",
  assign: "/v1/tenants/{tenant}/applications/{application}:assign",
  mail: "/v1/tenants/{tenant}/applications/{application}:mail",
} as const;

export function Actions({ app, matter }: { app: Application; matter?: Matter }) {
  const { tenant, id } = split(app.name ?? "");
  const act = useAct(tenant, id);
  return (
    <ActionBar<Application>
      actions={actionsFor(app, matter)}
      mutate={act.mutateAsync}
      pending={act.isPending}
      tenant={tenant}
      owner={app.name ?? ""}
      label="办理操作"
    />
  );
}
