// The actions a case's state allows, each one call of the legal-aid service. The service
// decides (and refuses with a stable code); the list only hides what cannot apply.
import { DatePicker, Form, Input, InputNumber, Select } from "antd";
import type { Dayjs } from "dayjs";
import { data, legalaid, split } from "../../api/client";
import type { components } from "../../api/gen/legalaid";
import { required, type FormAction } from "../../shared/formActions";
import { yuanRule } from "../../shared/money";
import {
  assigneeRoleLabel,
  enforcementLabel,
  flexibilityLabel,
  hearingOutcomeLabel,
  measureKindLabel,
  options,
  stepKindLabel,
  suspensionReasonLabel,
  type Case,
} from "./api";

type Court = components["schemas"]["v1Court"];

const routes = {
  assessFeeSupport: "/v1/tenants/{tenant}/cases/{case}:assessFeeSupport",
  assign: "/v1/tenants/{tenant}/cases/{case}:assign",
  file: "/v1/tenants/{tenant}/cases/{case}:file",
  recordDocketing: "/v1/tenants/{tenant}/cases/{case}:recordDocketing",
  strikeDocketEntry: "/v1/tenants/{tenant}/cases/{case}:strikeDocketEntry",
  reserveCourtDate: "/v1/tenants/{tenant}/cases/{case}:reserveCourtDate",
  notifyCourtDate: "/v1/tenants/{tenant}/cases/{case}:notifyCourtDate",
  suspendTrial: "/v1/tenants/{tenant}/cases/{case}:suspendTrial",
  resumeTrial: "/v1/tenants/{tenant}/cases/{case}:resumeTrial",
  extendTrial: "/v1/tenants/{tenant}/cases/{case}:extendTrial",
  recordJudgment: "/v1/tenants/{tenant}/cases/{case}:recordJudgment",
  recordEnforcement: "/v1/tenants/{tenant}/cases/{case}:recordEnforcement",
  addPreservation: "/v1/tenants/{tenant}/cases/{case}:addPreservation",
  releasePreservation: "/v1/tenants/{tenant}/cases/{case}:releasePreservation",
  addBankruptcyStep: "/v1/tenants/{tenant}/cases/{case}:addBankruptcyStep",
  completeBankruptcyStep: "/v1/tenants/{tenant}/cases/{case}:completeBankruptcyStep",
  addFile: "/v1/tenants/{tenant}/cases/{case}:addFile",
} as const;

export type Route = keyof typeof routes;

// poster sends one action on c with its etag (a stale page is refused, not overwritten).
export function poster(c: Case) {
  const { tenant, id } = split(c.name ?? "");
  return (route: Route, body: Record<string, unknown>) =>
    data(legalaid.POST(routes[route], { params: { path: { tenant, case: id } }, body: { etag: c.etag, ...body } as never })) as Promise<Case>;
}

const yesNo = [
  { label: "是", value: true },
  { label: "否", value: false },
];
const list = (v?: string) =>
  (v ?? "")
    .split(/[\n,，、]/)
    .map((s) => s.trim())
    .filter(Boolean);
const iso = (d?: Dayjs) => (d ? d.toISOString() : undefined);

export function caseActions(c: Case, courts: Court[]): FormAction<Case>[] {
  const post = poster(c);
  const s = c.state;
  const open = s !== "STATE_CLOSED";
  const acts: FormAction<Case>[] = [];
  if (!open) return acts;
  if (!c.feeSupport?.decided)
    acts.push({
      key: "fee",
      label: "诉讼费用支持审核",
      form: (
        <>
          <Form.Item name="approve" label="是否给予支持" rules={[{ required: true, message: "请选择" }]}>
            <Select options={yesNo} />
          </Form.Item>
          <Form.Item name="note" label="审核意见">
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
        </>
      ),
      run: (v) => post("assessFeeSupport", v),
      done: "已记录诉讼费用支持决定",
    });
  acts.push({
    key: "assign",
    label: c.assignee ? "改派" : "指派",
    primary: s === "STATE_RECEIVED",
    initial: { role: c.assigneeRole && c.assigneeRole !== "ASSIGNEE_ROLE_UNSPECIFIED" ? c.assigneeRole : "ASSIGNEE_ROLE_LAWYER", assignee: c.assignee },
    form: (
      <>
        <Form.Item name="role" label="承办角色" rules={required("承办角色")}>
          <Select options={options(assigneeRoleLabel)} />
        </Form.Item>
        <Form.Item name="assignee" label="承办人账号" rules={required("承办人账号")}>
          <Input placeholder="users/…" />
        </Form.Item>
      </>
    ),
    run: (v) => post("assign", v),
    done: "已指派",
  });
  if (s === "STATE_ASSIGNED")
    acts.push({
      key: "file",
      label: "向法院起诉",
      primary: true,
      form: (
        <Form.Item name="court" label="受理法院" rules={required("受理法院")}>
          {courts.length > 0 ? <Select options={courts.map((ct) => ({ value: ct.id, label: `${ct.title}（${ct.code}）` }))} /> : <Input placeholder="法院编号" />}
        </Form.Item>
      ),
      run: (v) => post("file", v),
      done: "已起诉，等待法院立案",
    });
  if (s === "STATE_FILED" || s === "STATE_REGISTERED" || s === "STATE_ENFORCING")
    acts.push({
      key: "docket",
      label: s === "STATE_FILED" ? "登记立案" : "登记案卷条目",
      primary: s === "STATE_FILED",
      initial: { courtCaseNumber: c.courtCaseNumber },
      form: (
        <>
          <Form.Item name="courtCaseNumber" label="案号" rules={s === "STATE_FILED" ? required("案号") : []}>
            <Input placeholder="（2026）辽0391民初123号" disabled={!!c.courtCaseNumber} />
          </Form.Item>
          <Form.Item name="title" label="条目" rules={required("条目")}>
            <Input maxLength={200} placeholder="立案通知书" />
          </Form.Item>
        </>
      ),
      run: (v) => post("recordDocketing", v),
      done: "已登记",
    });
  const entries = (c.docket ?? []).filter((e) => e.status === "ENTRY_STATUS_FILED");
  if (entries.length > 0)
    acts.push({
      key: "strike",
      label: "撤销/密封条目",
      initial: { seal: false },
      form: (
        <>
          <Form.Item name="entry" label="案卷条目" rules={required("案卷条目")}>
            <Select options={entries.map((e) => ({ value: e.id, label: `${e.id} ${e.title}` }))} />
          </Form.Item>
          <Form.Item name="seal" label="处理方式">
            <Select
              options={[
                { value: false, label: "撤销（仍保留在案卷中）" },
                { value: true, label: "密封（仅法院可见内容）" },
              ]}
            />
          </Form.Item>
          <Form.Item name="reason" label="理由" rules={required("理由")}>
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
        </>
      ),
      run: (v) => post("strikeDocketEntry", v),
      done: "已处理案卷条目（条目不会被删除）",
    });
  if (s === "STATE_REGISTERED") {
    acts.push({
      key: "reserve",
      label: "排期开庭",
      form: (
        <>
          <Form.Item name="startTime" label="开庭时间" rules={required("开庭时间")}>
            <DatePicker showTime={{ format: "HH:mm" }} format="YYYY-MM-DD HH:mm" />
          </Form.Item>
          <Form.Item name="courtroom" label="法庭" rules={required("法庭")}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="overrideReason" label="非工作日开庭理由（工作日不填）">
            <Input maxLength={200} />
          </Form.Item>
        </>
      ),
      run: (v) => post("reserveCourtDate", { ...v, startTime: iso(v.startTime) }),
      done: "已排期",
    });
    const scheduled = (c.hearings ?? []).filter((h) => h.outcome === "HEARING_OUTCOME_SCHEDULED");
    if (scheduled.length > 0)
      acts.push({
        key: "notify",
        label: "记录庭审结果",
        form: (
          <>
            <Form.Item name="hearing" label="庭审" rules={required("庭审")}>
              <Select options={scheduled.map((h) => ({ value: h.id, label: `${h.id} ${h.courtroom ?? ""}` }))} />
            </Form.Item>
            <Form.Item name="outcome" label="结果" rules={required("结果")}>
              <Select options={options(hearingOutcomeLabel).filter((o) => o.value !== "HEARING_OUTCOME_SCHEDULED")} />
            </Form.Item>
            <Form.Item name="note" label="说明">
              <Input.TextArea rows={2} maxLength={500} />
            </Form.Item>
          </>
        ),
        run: (v) => post("notifyCourtDate", v),
        done: "已记录庭审结果",
      });
    acts.push({
      key: "judgment",
      label: "记录裁判结果",
      initial: { enforcementNeeded: false },
      form: (
        <>
          <Form.Item name="outcome" label="裁判结果（判决/裁定/调解）" rules={required("裁判结果")}>
            <Input.TextArea rows={2} maxLength={1000} />
          </Form.Item>
          <Form.Item name="enforcementNeeded" label="是否需要执行">
            <Select options={yesNo} />
          </Form.Item>
        </>
      ),
      run: (v) => post("recordJudgment", v),
      done: "已记录裁判结果",
    });
  }
  if (c.trial?.dueTime && s === "STATE_REGISTERED") {
    if (!c.trial.paused)
      acts.push({
        key: "suspend",
        label: "审限中止",
        form: (
          <>
            <Form.Item name="reason" label="中止事由" rules={required("中止事由")}>
              <Select options={options(suspensionReasonLabel)} />
            </Form.Item>
            <Form.Item name="startTime" label="起始时间（不填为现在）">
              <DatePicker showTime={{ format: "HH:mm" }} format="YYYY-MM-DD HH:mm" />
            </Form.Item>
            <Form.Item name="endTime" label="结束时间（已知时填写）">
              <DatePicker showTime={{ format: "HH:mm" }} format="YYYY-MM-DD HH:mm" />
            </Form.Item>
          </>
        ),
        run: (v) => post("suspendTrial", { reason: v.reason, startTime: iso(v.startTime), endTime: iso(v.endTime) }),
        done: "已记录审限中止",
      });
    else acts.push({ key: "resume", label: "恢复审限计算", confirm: "中止情形已消除，恢复审限计算？", run: () => post("resumeTrial", {}), done: "已恢复审限计算" });
    acts.push({
      key: "extend",
      label: "延长审限",
      form: (
        <>
          <Form.Item name="days" label="延长天数" rules={required("延长天数")}>
            <InputNumber min={1} max={365} />
          </Form.Item>
          <Form.Item name="reason" label="理由" rules={required("理由")}>
            <Input.TextArea rows={2} maxLength={500} />
          </Form.Item>
          <Form.Item name="approval" label="批准（院长批准文号）" rules={required("批准")}>
            <Input maxLength={200} />
          </Form.Item>
        </>
      ),
      run: (v) => post("extendTrial", v),
      done: "已延长审限",
    });
  }
  if (s === "STATE_ENFORCING")
    acts.push({
      key: "enforcement",
      label: "记录执行情况",
      form: (
        <Form.Item name="status" label="执行情况" rules={required("执行情况")}>
          <Select options={options(enforcementLabel)} />
        </Form.Item>
      ),
      run: (v) => post("recordEnforcement", v),
      done: "已记录执行情况",
    });
  acts.push({
    key: "preserve",
    label: "登记保全措施",
    initial: { kind: "MEASURE_KIND_SEAL", productionAsset: false, flexibility: "FLEXIBILITY_LIVE_SEAL" },
    form: <PreservationFields />,
    run: (v) =>
      post("addPreservation", {
        preservation: {
          kind: v.kind,
          asset: v.asset,
          amount: v.amount,
          legalBasis: v.legalBasis,
          productionAsset: v.productionAsset,
          flexibility: v.flexibility,
          substitute: v.substitute || undefined,
          reservedWorkingCapital: v.reservedWorkingCapital || undefined,
          reservedAccounts: list(v.reservedAccounts),
          reservedEquipment: list(v.reservedEquipment),
        },
      }),
    done: "已登记保全措施",
  });
  const inForce = (c.preservations ?? []).filter((p) => !p.released);
  if (inForce.length > 0)
    acts.push({
      key: "release",
      label: "解除保全",
      form: (
        <Form.Item name="preservation" label="保全措施" rules={required("保全措施")}>
          <Select options={inForce.map((p) => ({ value: p.id, label: `${p.id} ${measureKindLabel[p.kind ?? "MEASURE_KIND_UNSPECIFIED"]} ${p.asset}` }))} />
        </Form.Item>
      ),
      run: (v) => post("releasePreservation", v),
      done: "已解除保全",
    });
  if (c.caseType === "CASE_TYPE_BANKRUPTCY") {
    acts.push({
      key: "step",
      label: "添加府院联动事项",
      form: (
        <>
          <Form.Item name="kind" label="事项类别" rules={required("事项类别")}>
            <Select options={options(stepKindLabel)} />
          </Form.Item>
          <Form.Item name="title" label="事项" rules={required("事项")}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="department" label="责任部门" rules={required("责任部门")}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="dueTime" label="完成时限">
            <DatePicker />
          </Form.Item>
        </>
      ),
      run: (v) => post("addBankruptcyStep", { step: { kind: v.kind, title: v.title, department: v.department, dueTime: iso(v.dueTime?.endOf("day")) } }),
      done: "已添加府院联动事项",
    });
    const pending = (c.bankruptcySteps ?? []).filter((st) => !st.done);
    if (pending.length > 0)
      acts.push({
        key: "complete",
        label: "完成联动事项",
        form: (
          <>
            <Form.Item name="step" label="事项" rules={required("事项")}>
              <Select options={pending.map((st) => ({ value: st.id, label: `${st.id} ${st.title}` }))} />
            </Form.Item>
            <Form.Item name="result" label="办理结果" rules={required("办理结果")}>
              <Input.TextArea rows={2} maxLength={500} />
            </Form.Item>
          </>
        ),
        run: (v) => post("completeBankruptcyStep", v),
        done: "联动事项已完成",
      });
  }
  return acts;
}

// PreservationFields are a measure's inputs; what is reserved to the enterprise is asked
// for when the asset is in production or R&D.
function PreservationFields() {
  const production = Form.useWatch("productionAsset");
  const flexibility = Form.useWatch("flexibility");
  return (
    <>
      <Form.Item name="kind" label="措施" rules={required("措施")}>
        <Select options={options(measureKindLabel)} />
      </Form.Item>
      <Form.Item name="asset" label="财产" rules={required("财产")}>
        <Input maxLength={200} />
      </Form.Item>
      <Form.Item name="amount" label="价值（元）" rules={[...required("价值"), yuanRule]}>
        <Input inputMode="decimal" />
      </Form.Item>
      <Form.Item name="legalBasis" label="法律依据" rules={required("法律依据")}>
        <Input maxLength={200} />
      </Form.Item>
      <Form.Item name="productionAsset" label="是否为生产经营或研发中的财产">
        <Select options={yesNo} />
      </Form.Item>
      <Form.Item name="flexibility" label="灵活措施">
        <Select options={options(flexibilityLabel)} />
      </Form.Item>
      {flexibility === "FLEXIBILITY_SUBSTITUTE" && (
        <Form.Item name="substitute" label="置换的担保财产" rules={required("置换的担保财产")}>
          <Input maxLength={200} />
        </Form.Item>
      )}
      {production && (
        <>
          <Form.Item name="reservedWorkingCapital" label="预留流动资金（元）" rules={[yuanRule]}>
            <Input inputMode="decimal" />
          </Form.Item>
          <Form.Item name="reservedAccounts" label="预留往来账户（逗号或换行分隔）">
            <Input.TextArea rows={2} />
          </Form.Item>
          <Form.Item name="reservedEquipment" label="保留使用的关键设备资料（逗号或换行分隔）">
            <Input.TextArea rows={2} />
          </Form.Item>
        </>
      )}
    </>
  );
}
