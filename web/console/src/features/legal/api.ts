// The legal-aid calls (cases, the preservation report, the policy) as query keys and
// hooks, and the Chinese labels of the case contract's enums.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import dayjs from "dayjs";
import { data, legalaid } from "../../api/client";
import type { components } from "../../api/gen/legalaid";

type S = components["schemas"];
export type Case = S["v1Case"];
export type CaseState = NonNullable<Case["state"]>;
export type CaseType = NonNullable<Case["caseType"]>;

export interface CaseFilter {
  state: CaseState;
  party: string;
  creditCode: string;
  courtCaseNumber: string;
}

export function useCases(tenant: string, f: CaseFilter, pageToken: string) {
  return useQuery({
    queryKey: ["cases", tenant, f, pageToken],
    refetchInterval: 30_000,
    queryFn: () =>
      data(
        legalaid.GET("/v1/tenants/{tenant}/cases", {
          params: {
            path: { tenant },
            query: {
              state: f.state === "STATE_UNSPECIFIED" ? undefined : f.state,
              party: f.party || undefined,
              creditCode: f.creditCode || undefined,
              courtCaseNumber: f.courtCaseNumber || undefined,
              pageSize: 20,
              pageToken: pageToken || undefined,
            },
          },
        }),
      ),
  });
}

export function useCase(tenant: string, id: string) {
  return useQuery({
    queryKey: ["case", tenant, id],
    queryFn: () => data(legalaid.GET("/v1/tenants/{tenant}/cases/{case}", { params: { path: { tenant, case: id } } })),
  });
}

export function useCaseAct(tenant: string, id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (run: () => Promise<Case>) => run(),
    onSuccess: (c) => {
      qc.setQueryData(["case", tenant, id], c);
      void qc.invalidateQueries({ queryKey: ["cases"] });
      void qc.invalidateQueries({ queryKey: ["preservation-report"] });
    },
  });
}

export function usePolicy() {
  return useQuery({ queryKey: ["legal-policy"], staleTime: 300_000, queryFn: () => data(legalaid.GET("/v1/policy", {})) });
}

export function usePreservationReport(tenant: string) {
  return useQuery({
    queryKey: ["preservation-report", tenant],
    queryFn: () => data(legalaid.GET("/v1/tenants/{tenant}/preservationReport", { params: { path: { tenant } } })),
  });
}

export const caseStateLabel: Record<CaseState, { text: string; color: string }> = {
  STATE_UNSPECIFIED: { text: "全部", color: "default" },
  STATE_RECEIVED: { text: "已受理", color: "blue" },
  STATE_ASSIGNED: { text: "已指派", color: "cyan" },
  STATE_FILED: { text: "已起诉", color: "geekblue" },
  STATE_REGISTERED: { text: "已立案", color: "purple" },
  STATE_ENFORCING: { text: "执行中", color: "orange" },
  STATE_CLOSED: { text: "已结案", color: "green" },
};

export const caseTypeLabel: Record<CaseType, string> = {
  CASE_TYPE_UNSPECIFIED: "—",
  CASE_TYPE_CIVIL: "民事",
  CASE_TYPE_COMMERCIAL: "商事",
  CASE_TYPE_ADMINISTRATIVE: "行政",
  CASE_TYPE_LABOUR: "劳动争议",
  CASE_TYPE_BANKRUPTCY: "破产",
};

export const arrivalLabel: Record<string, string> = {
  ARRIVAL_UNSPECIFIED: "—",
  ARRIVAL_WALK_IN: "窗口/来访",
  ARRIVAL_TICKET: "诉求工单",
  ARRIVAL_STEWARD: "企业管家",
  ARRIVAL_COURT_REFERRAL: "法院移送",
  ARRIVAL_ONLINE: "企业网上申请",
};

export const assigneeRoleLabel: Record<string, string> = {
  ASSIGNEE_ROLE_UNSPECIFIED: "—",
  ASSIGNEE_ROLE_LEGAL_ADVISER: "区法律顾问",
  ASSIGNEE_ROLE_LAWYER: "法援律师",
};

export const entryStatusLabel: Record<string, { text: string; color: string }> = {
  ENTRY_STATUS_UNSPECIFIED: { text: "—", color: "default" },
  ENTRY_STATUS_FILED: { text: "已登记", color: "blue" },
  ENTRY_STATUS_STRICKEN: { text: "已撤销", color: "default" },
  ENTRY_STATUS_SEALED: { text: "已密封", color: "magenta" },
};

export const hearingOutcomeLabel: Record<string, string> = {
  HEARING_OUTCOME_UNSPECIFIED: "—",
  HEARING_OUTCOME_SCHEDULED: "已排期",
  HEARING_OUTCOME_HELD: "已开庭",
  HEARING_OUTCOME_ADJOURNED: "延期开庭",
  HEARING_OUTCOME_CANCELLED: "已取消",
};

export const suspensionReasonLabel: Record<string, string> = {
  SUSPENSION_REASON_UNSPECIFIED: "—",
  SUSPENSION_REASON_PUBLIC_NOTICE: "公告",
  SUSPENSION_REASON_APPRAISAL: "鉴定",
  SUSPENSION_REASON_JURISDICTION: "管辖权异议",
  SUSPENSION_REASON_SUSPENSION: "中止诉讼",
  SUSPENSION_REASON_SETTLEMENT: "和解期间",
};

export const measureKindLabel: Record<string, string> = {
  MEASURE_KIND_UNSPECIFIED: "—",
  MEASURE_KIND_SEAL: "查封",
  MEASURE_KIND_SEIZE: "扣押",
  MEASURE_KIND_FREEZE: "冻结",
};

export const flexibilityLabel: Record<string, string> = {
  FLEXIBILITY_UNSPECIFIED: "—",
  FLEXIBILITY_NONE: "死封",
  FLEXIBILITY_LIVE_SEAL: "活封（继续使用）",
  FLEXIBILITY_SUBSTITUTE: "换封（置换担保）",
};

export const stepKindLabel: Record<string, string> = {
  STEP_KIND_UNSPECIFIED: "—",
  STEP_KIND_LAND_PROPERTY: "土地、房产处置",
  STEP_KIND_TAX: "税务处理",
  STEP_KIND_EMPLOYEES: "职工安置",
  STEP_KIND_CREDIT_REPAIR: "信用修复",
  STEP_KIND_CREDITOR_MEETING: "债权人会议",
  STEP_KIND_EXIT_MILESTONE: "僵尸企业退出节点",
};

export const enforcementLabel: Record<string, string> = {
  ENFORCEMENT_STATUS_UNSPECIFIED: "—",
  ENFORCEMENT_STATUS_ONGOING: "执行中",
  ENFORCEMENT_STATUS_CONCLUDED: "执行完毕",
};

// options turns a label table into a Select's options, without the unspecified value.
export function options(labels: Record<string, string>) {
  return Object.entries(labels)
    .filter(([k]) => !k.endsWith("_UNSPECIFIED"))
    .map(([value, label]) => ({ value, label }));
}

// trialDays reads the trial clock as days used and left: natural days since it started,
// less the suspended ones, against the limit with approved extensions.
export function trialDays(c: Case): { used: number; left: number; limit: number } | undefined {
  const t = c.trial;
  if (!t?.startTime || !t.dueTime) return undefined;
  const now = c.state === "STATE_CLOSED" && c.updateTime ? dayjs(c.updateTime) : dayjs();
  let suspended = 0;
  for (const s of t.suspensions ?? []) {
    const end = s.endTime ? dayjs(s.endTime) : now;
    suspended += Math.max(0, end.diff(dayjs(s.startTime), "day", true));
  }
  const limit = (t.limitDays ?? 0) + (t.extensions ?? []).reduce((n, e) => n + (e.days ?? 0), 0);
  const used = Math.max(0, Math.floor(now.diff(dayjs(t.startTime), "day", true) - suspended));
  return { used, left: limit - used, limit };
}

// registering says whether the 1-working-day registration clock still runs.
export const registering = (c: Case) => c.state === "STATE_RECEIVED" || c.state === "STATE_ASSIGNED" || c.state === "STATE_FILED";
