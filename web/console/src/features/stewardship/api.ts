// The stewardship calls as query keys and hooks, and the labels of its enums.
import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { data, stewardship } from "../../api/client";
import type { components } from "../../api/gen/stewardship";

type S = components["schemas"];
export type Enterprise = S["v1Enterprise"];
export type Assignment = S["v1Assignment"];
export type Problem = S["v1Problem"];
export type Visit = S["v1Visit"];
export type Debt = S["v1Debt"];
export type DepartmentArrears = S["v1DepartmentArrears"];
export type Enrolment = S["v1Enrolment"];
export type Opportunity = S["v1Opportunity"];
export type Part = S["v1Part"];
export type Stage = NonNullable<Enterprise["stage"]>;

export interface EnterpriseFilter {
  industry: string;
  scaleTag: string;
  stage: Stage;
  steward: string;
}

export function useEnterprises(tenant: string, f: EnterpriseFilter, pageToken: string) {
  return useQuery({
    queryKey: ["enterprises", tenant, f, pageToken],
    queryFn: () =>
      data(
        stewardship.GET("/v1/tenants/{tenant}/enterprises", {
          params: {
            path: { tenant },
            query: {
              industry: f.industry || undefined,
              scaleTag: f.scaleTag || undefined,
              stage: f.stage === "STAGE_UNSPECIFIED" ? undefined : f.stage,
              steward: f.steward || undefined,
              pageSize: 20,
              pageToken: pageToken || undefined,
            },
          },
        }),
      ),
  });
}

export function useEnterprise(tenant: string, code: string) {
  return useQuery({
    queryKey: ["enterprise", tenant, code],
    queryFn: () => data(stewardship.GET("/v1/tenants/{tenant}/enterprises/{enterprise}", { params: { path: { tenant, enterprise: code } } })),
  });
}

export function use360(tenant: string, code: string) {
  return useQuery({
    queryKey: ["enterprise360", tenant, code],
    queryFn: () => data(stewardship.GET("/v1/tenants/{tenant}/enterprises/{enterprise}:360", { params: { path: { tenant, enterprise: code } } })),
  });
}

export function useAssignmentHistory(tenant: string, enterprise: string) {
  return useQuery({
    queryKey: ["assignments", tenant, enterprise],
    queryFn: () =>
      data(stewardship.GET("/v1/tenants/{tenant}/assignments", { params: { path: { tenant }, query: { enterprise, history: true, pageSize: 50 } } })),
  });
}

export function useVisits(tenant: string, code: string) {
  return useQuery({
    queryKey: ["visits", tenant, code],
    queryFn: () => data(stewardship.GET("/v1/tenants/{tenant}/enterprises/{enterprise}/visits", { params: { path: { tenant, enterprise: code }, query: { pageSize: 50 } } })),
  });
}

export function useProblems(tenant: string, enterprise: string, state: NonNullable<Problem["state"]>, pageToken: string) {
  return useQuery({
    queryKey: ["problems", tenant, enterprise, state, pageToken],
    refetchInterval: 30_000,
    queryFn: () =>
      data(
        stewardship.GET("/v1/tenants/{tenant}/problems", {
          params: {
            path: { tenant },
            query: { enterprise: enterprise || undefined, state: state === "PROBLEM_STATE_UNSPECIFIED" ? undefined : state, pageSize: 20, pageToken: pageToken || undefined },
          },
        }),
      ),
  });
}

export function useWorkload(tenant: string) {
  return useQuery({
    queryKey: ["steward-workload", tenant],
    queryFn: () => data(stewardship.GET("/v1/tenants/{tenant}/stewardWorkload", { params: { path: { tenant } } })),
  });
}

export function useArrearsReport(tenant: string) {
  return useQuery({
    queryKey: ["arrears-report", tenant],
    queryFn: () => data(stewardship.GET("/v1/tenants/{tenant}/arrearsReport", { params: { path: { tenant } } })),
  });
}

export function useDebts(tenant: string, cls: NonNullable<Debt["class"]>, department: string, creditor: string, pageToken: string) {
  return useQuery({
    queryKey: ["debts", tenant, cls, department, creditor, pageToken],
    queryFn: () =>
      data(
        stewardship.GET("/v1/tenants/{tenant}/debts", {
          params: {
            path: { tenant },
            query: {
              class: cls === "DEBT_CLASS_UNSPECIFIED" ? undefined : cls,
              debtorDepartment: department || undefined,
              creditorCreditCode: creditor || undefined,
              pageSize: 20,
              pageToken: pageToken || undefined,
            },
          },
        }),
      ),
  });
}

export function useDebt(tenant: string, id: string) {
  return useQuery({
    queryKey: ["debt", tenant, id],
    queryFn: () => data(stewardship.GET("/v1/tenants/{tenant}/debts/{debt}", { params: { path: { tenant, debt: id } } })),
  });
}

export function useEnrolments(tenant: string, state: NonNullable<Enrolment["state"]>, pageToken: string) {
  return useQuery({
    queryKey: ["enrolments", tenant, state, pageToken],
    queryFn: () =>
      data(
        stewardship.GET("/v1/tenants/{tenant}/enrolments", {
          params: { path: { tenant }, query: { state: state === "ENROLMENT_STATE_UNSPECIFIED" ? undefined : state, pageSize: 20, pageToken: pageToken || undefined } },
        }),
      ),
  });
}

export function useOpportunities(tenant: string, state: NonNullable<Opportunity["state"]>, pageToken: string) {
  return useQuery({
    queryKey: ["opportunities", tenant, state, pageToken],
    queryFn: () =>
      data(
        stewardship.GET("/v1/tenants/{tenant}/opportunities", {
          params: { path: { tenant }, query: { state: state === "OPPORTUNITY_STATE_UNSPECIFIED" ? undefined : state, pageSize: 20, pageToken: pageToken || undefined } },
        }),
      ),
  });
}

// useAct runs one change and refreshes what it touches: the record's query gets the
// answer when key is given, the lists named by invalidate are fetched again.
export function useAct<T>(key: QueryKey | undefined, invalidate: string[]) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (run: () => Promise<T>) => run(),
    onSuccess: (v) => {
      if (key) qc.setQueryData(key, v);
      for (const k of invalidate) void qc.invalidateQueries({ queryKey: [k] });
    },
  });
}

export const stageLabel: Record<Stage, string> = {
  STAGE_UNSPECIFIED: "全部",
  STAGE_STARTUP: "初创",
  STAGE_GROWTH: "成长",
  STAGE_SCALE: "壮大（规上）",
  STAGE_MATURE: "成熟",
  STAGE_EXITED: "注销/迁出",
};

export const stewardKindLabel: Record<string, string> = {
  STEWARD_KIND_UNSPECIFIED: "—",
  STEWARD_KIND_INVESTMENT: "招商管家",
  STEWARD_KIND_PROJECT: "项目管家",
  STEWARD_KIND_ENTERPRISE: "企业管家",
};

export const problemStateLabel: Record<NonNullable<Problem["state"]>, { text: string; color: string }> = {
  PROBLEM_STATE_UNSPECIFIED: { text: "全部", color: "default" },
  PROBLEM_STATE_OPEN: { text: "待处理", color: "orange" },
  PROBLEM_STATE_TICKETED: { text: "已转工单", color: "blue" },
  PROBLEM_STATE_RESOLVED: { text: "已解决", color: "green" },
};

export const debtClassLabel: Record<NonNullable<Debt["class"]>, { text: string; color: string }> = {
  DEBT_CLASS_UNSPECIFIED: { text: "全部", color: "default" },
  DEBT_CLASS_UNSORTED: { text: "待排查", color: "default" },
  DEBT_CLASS_SWEEP: { text: "扫尾台账", color: "blue" },
  DEBT_CLASS_DISPUTED: { text: "有争议", color: "orange" },
  DEBT_CLASS_SETTLED: { text: "已结清", color: "green" },
};

export const enrolmentStateLabel: Record<NonNullable<Enrolment["state"]>, { text: string; color: string }> = {
  ENROLMENT_STATE_UNSPECIFIED: { text: "全部", color: "default" },
  ENROLMENT_STATE_ENROLLED: { text: "培育中", color: "blue" },
  ENROLMENT_STATE_RECOGNISED: { text: "已认定", color: "green" },
  ENROLMENT_STATE_REJECTED: { text: "未通过", color: "default" },
};

export const awardKindLabel: Record<string, string> = {
  AWARD_KIND_UNSPECIFIED: "—",
  AWARD_KIND_INCOME_TAX: "企业所得税奖励",
  AWARD_KIND_PERSONAL_TAX: "个人所得税奖励",
  AWARD_KIND_FIXED_ASSET: "固定资产投资奖励",
};

export const opportunityStateLabel: Record<NonNullable<Opportunity["state"]>, { text: string; color: string }> = {
  OPPORTUNITY_STATE_UNSPECIFIED: { text: "全部", color: "default" },
  OPPORTUNITY_STATE_DRAFT: { text: "草稿", color: "default" },
  OPPORTUNITY_STATE_PUBLISHED: { text: "已发布", color: "green" },
};

export const partLabel: Record<string, string> = {
  applications: "政务服务办件",
  tickets: "诉求工单",
  cases: "涉企案件",
  visits: "走访记录",
  problems: "问题诉求",
  arrears: "政府拖欠账款",
  awards: "奖励扶持",
  enrolments: "培育计划",
};

export const themes = ["孵化平台", "服务实体经济", "公园城市", "科技创新", "人力资源", "乡村振兴"];

export function enterpriseLink(name?: string): string {
  const parts = (name ?? "").split("/");
  return `/stewardship/enterprises/${parts[1] ?? ""}/${parts[3] ?? ""}`;
}
