// The supervisor's calls: matters' completion report and tickets' statistics over a
// window, the same per week for the trends (the reports have no time series, so a trend
// is one call per week — a handful of small aggregate queries), the records behind a
// figure, and a record's audit trail in the service that keeps it.
import { useQuery } from "@tanstack/react-query";
import dayjs from "dayjs";
import { data, documents, identity, legalaid, matters, stewardship, tickets } from "../../api/client";
import type { components as C } from "../../api/gen/identity";

export type Group = "tenant" | "department" | "handler";

const reportGroup = { tenant: "REPORT_GROUP_TENANT", department: "REPORT_GROUP_DEPARTMENT", handler: "REPORT_GROUP_HANDLER" } as const;
const statsGroup = { tenant: "STATS_GROUP_TENANT", department: "STATS_GROUP_DEPARTMENT", handler: "STATS_GROUP_HANDLER" } as const;

// Window is [start, end) as RFC 3339 strings.
export interface Window {
  start: string;
  end: string;
  label: string; // the week's first day, e.g. 05-11
}

// weeks are the last n whole weeks ending at the start of tomorrow, oldest first.
export function weeks(n: number): Window[] {
  const end = dayjs().add(1, "day").startOf("day");
  return Array.from({ length: n }, (_, i) => {
    const from = end.subtract((n - i) * 7, "day");
    const to = end.subtract((n - i - 1) * 7, "day");
    return { start: from.toISOString(), end: to.toISOString(), label: from.format("MM-DD") };
  });
}

const reportMatters = (tenant: string, group: Group, w: Window) =>
  data(matters.GET("/v1/tenants/{tenant}/matterReports", { params: { path: { tenant }, query: { groupBy: reportGroup[group], startTime: w.start, endTime: w.end } } }));

const ticketStats = (tenant: string, group: Group, w: Window) =>
  data(tickets.GET("/v1/tenants/{tenant}/tickets:stats", { params: { path: { tenant }, query: { groupBy: statsGroup[group], startTime: w.start, endTime: w.end } } }));

export function useMatterReport(tenant: string, group: Group, w: Window) {
  return useQuery({ queryKey: ["sv-matters", tenant, group, w.start, w.end], queryFn: () => reportMatters(tenant, group, w) });
}

export function useTicketStats(tenant: string, group: Group, w: Window) {
  return useQuery({ queryKey: ["sv-tickets", tenant, group, w.start, w.end], queryFn: () => ticketStats(tenant, group, w) });
}

// TrendPoint is one week's figures over the whole subtree.
export interface TrendPoint {
  label: string;
  completed: number;
  completedOnTime: number; // applications finished by their promised deadline
  tickets: number;
  closed: number;
  closedOnTime: number;
  rated: number;
  satisfied: number;
}

export function useTrend(tenant: string, ws: Window[]) {
  return useQuery({
    queryKey: ["sv-trend", tenant, ws[0]?.start, ws.length],
    queryFn: () =>
      Promise.all(
        ws.map(async (w): Promise<TrendPoint> => {
          const [m, t] = await Promise.all([reportMatters(tenant, "tenant", w), ticketStats(tenant, "tenant", w)]);
          const p: TrendPoint = { label: w.label, completed: 0, completedOnTime: 0, tickets: 0, closed: 0, closedOnTime: 0, rated: 0, satisfied: 0 };
          for (const r of m.matters ?? []) {
            const n = r.completed ?? 0;
            p.completed += n;
            p.completedOnTime += Math.round((r.withinTargetShare ?? 0) * n);
          }
          for (const r of t.rows ?? []) {
            p.tickets += Number(r.total ?? 0);
            p.closed += Number(r.closed ?? 0);
            p.closedOnTime += Number(r.closedOnTime ?? 0);
            p.rated += Number(r.rated ?? 0);
            p.satisfied += Number(r.satisfied ?? 0);
          }
          return p;
        }),
      ),
  });
}

export function useApplications(tenant: string, handler: string, state: string, pageToken: string) {
  return useQuery({
    queryKey: ["sv-applications", tenant, handler, state, pageToken],
    enabled: tenant !== "",
    queryFn: () =>
      data(
        matters.GET("/v1/tenants/{tenant}/applications", {
          params: {
            path: { tenant },
            query: {
              handler: handler || undefined,
              state: (state || undefined) as "STATE_COMPLETED" | undefined,
              pageSize: 20,
              pageToken: pageToken || undefined,
            },
          },
        }),
      ),
  });
}

export function useTickets(tenant: string, state: string, overdue: boolean, pageToken: string) {
  return useQuery({
    queryKey: ["sv-tickets-list", tenant, state, overdue, pageToken],
    enabled: tenant !== "",
    queryFn: () =>
      data(
        tickets.GET("/v1/tenants/{tenant}/tickets", {
          params: {
            path: { tenant },
            query: { state: (state || undefined) as "STATE_CLOSED" | undefined, overdue: overdue || undefined, pageSize: 20, pageToken: pageToken || undefined },
          },
        }),
      ),
  });
}

// The services that keep an audit chain, by the name the console shows.
export const auditServices = [
  { value: "matters", label: "政务服务事项（办件）" },
  { value: "tickets", label: "12345 诉求" },
  { value: "identity", label: "身份与权限" },
  { value: "documents", label: "材料文档" },
  { value: "legalaid", label: "涉企法律服务" },
  { value: "stewardship", label: "企业管家" },
] as const;
export type AuditService = (typeof auditServices)[number]["value"];

type AuditPage = C["schemas"]["v1ListAuditRecordsResponse"];
type Verified = C["schemas"]["v1VerifyAuditChainResponse"];
type AuditQuery = { resource?: string; actor?: string; pageSize?: number; pageToken?: string };

// Every service serves the same audit API at the same paths with the same messages
// (pkg/audit, common.v1), so identity's generated types describe every service's; the
// casts below say only that.
interface AuditClient {
  list: (tenant: string, q: AuditQuery) => Promise<AuditPage>;
  verify: (tenant: string) => Promise<Verified>;
}

function auditOf<Cl extends typeof identity>(c: Cl): AuditClient {
  return {
    list: (tenant, q) => data(c.GET("/v1/tenants/{tenant}/auditRecords", { params: { path: { tenant }, query: q } })),
    verify: (tenant) => data(c.GET("/v1/tenants/{tenant}/auditRecords:verify", { params: { path: { tenant } } })),
  };
}

const auditClients: Record<AuditService, AuditClient> = {
  identity: auditOf(identity),
  matters: auditOf(matters as unknown as typeof identity),
  tickets: auditOf(tickets as unknown as typeof identity),
  documents: auditOf(documents as unknown as typeof identity),
  legalaid: auditOf(legalaid as unknown as typeof identity),
  stewardship: auditOf(stewardship as unknown as typeof identity),
};

export function useAuditRecords(service: AuditService, tenant: string, resource: string, pageToken: string) {
  return useQuery({
    queryKey: ["sv-audit", service, tenant, resource, pageToken],
    enabled: tenant !== "",
    queryFn: () => auditClients[service].list(tenant, { resource: resource || undefined, pageSize: 50, pageToken: pageToken || undefined }),
  });
}

export function verifyChain(service: AuditService, tenant: string) {
  return auditClients[service].verify(tenant);
}
