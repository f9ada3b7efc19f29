// The administrator's calls to identity: the tenant tree, people and their grants,
// machine clients. Every refusal (OUTSIDE_ADMIN_SCOPE, a stale etag…) reaches the page
// as an ApiError with its stable code.
import { useQuery } from "@tanstack/react-query";
import { data, documents, identity, legalaid, matters, tickets } from "../../api/client";
import type { components as C } from "../../api/gen/identity";
import type { components as TicketsC } from "../../api/gen/tickets";

export type Tenant = C["schemas"]["v1Tenant"];
export type User = C["schemas"]["v1User"];
export type Grant = C["schemas"]["v1RoleGrant"];
export type Client = C["schemas"]["v1OAuthClient"];

export const tenantId = (name?: string) => (name ?? "").replace(/^tenants\//, "");

export const tiers: Record<string, string> = { district: "区县", street: "街道", community: "社区" };
export const services = ["identity", "matters", "tickets", "documents", "legalaid", "stewardship"];
export const serviceLabels: Record<string, string> = {
  identity: "身份与权限",
  matters: "政务服务事项",
  tickets: "12345 诉求",
  documents: "材料文档",
  legalaid: "涉企法律服务",
  stewardship: "企业管家",
};

// The default roles (pkg/authz/default_roles.yaml) an administrator hands out.
export const roles: { value: string; label: string }[] = [
  { value: "window_clerk", label: "窗口人员" },
  { value: "ticket_handler", label: "诉求办理" },
  { value: "supervisor", label: "营商监督员" },
  { value: "discipline", label: "纪工委" },
  { value: "steward", label: "企业管家" },
  { value: "legal_coordinator", label: "法律服务协调员" },
  { value: "legal_aid_lawyer", label: "法援律师" },
  { value: "agent", label: "帮代办" },
  { value: "tenant_admin", label: "租户管理员" },
  { value: "ops", label: "运维人员" },
];

// useTenantTree is the tenant and everything below it, as identity publishes it.
export function useTenantTree(tenant: string, enabled = true) {
  return useQuery({
    queryKey: ["tenants", tenant],
    enabled,
    staleTime: 60_000,
    queryFn: () => data(identity.GET("/v1/tenants/{tenant}/tenants", { params: { path: { tenant } } })),
  });
}

export function useUsers(tenant: string, pageToken: string) {
  return useQuery({
    queryKey: ["users", tenant, pageToken],
    queryFn: () => data(identity.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant }, query: { pageSize: 20, pageToken: pageToken || undefined } } })),
  });
}

export function useGrants(subject: string) {
  return useQuery({
    queryKey: ["grants", subject],
    enabled: subject !== "",
    queryFn: () => data(identity.GET("/v1/roles", { params: { query: { subject } } })),
  });
}

// The services whose settings (per-tenant SLA limits, routing, sizes…) an administrator
// reads and changes through their GetSettings/UpdateSettings; etcd is never written from
// the browser.
export const settingsServices = ["tickets", "matters", "documents", "legalaid"] as const;
export type SettingsService = (typeof settingsServices)[number];
export type Settings = TicketsC["schemas"]["v1Settings"];

// Every service's settings methods have the same shape; one client type serves all four.
const settingsClients: Record<SettingsService, typeof tickets> = {
  tickets,
  matters: matters as unknown as typeof tickets,
  documents: documents as unknown as typeof tickets,
  legalaid: legalaid as unknown as typeof tickets,
};

export function useSettings(service: SettingsService, tenant: string) {
  return useQuery({
    queryKey: ["settings", service, tenant],
    enabled: tenant !== "",
    retry: false,
    queryFn: () => data(settingsClients[service].GET("/v1/tenants/{tenant}/settings", { params: { path: { tenant } } })),
  });
}

// updateSettings sets the tenant's override, or clears it when override is undefined.
export function updateSettings(service: SettingsService, tenant: string, override: Record<string, unknown> | undefined, etag: string) {
  return data(
    settingsClients[service].PATCH("/v1/tenants/{tenant}/settings", {
      params: { path: { tenant } },
      body: { override: override as Record<string, never> | undefined, etag },
    }),
  );
}

// The platform's working-day calendar, one year at a time (tickets serves it for every
// service). A year not loaded is refused with CALENDAR_YEAR_NOT_LOADED; loading is the
// command line's (gaoxing calendar load).
export type WorkingCalendar = TicketsC["schemas"]["v1WorkingCalendar"];
export type CalendarDay = TicketsC["schemas"]["v1CalendarDay"];

export function useCalendar(year: number) {
  return useQuery({
    queryKey: ["calendar", year],
    retry: false,
    queryFn: () => data(tickets.GET("/v1/calendars/{calendar}", { params: { path: { calendar: String(year) } } })),
  });
}
