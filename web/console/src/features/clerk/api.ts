// The clerk's calls to matters and documents, as query keys and hooks.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { data, documents, matters, split } from "../../api/client";
import type { Application } from "../../shared/labels";

export type QueueScope = "QUEUE_SCOPE_MINE" | "QUEUE_SCOPE_WINDOW" | "QUEUE_SCOPE_DEPARTMENT" | "QUEUE_SCOPE_TENANT";

export function useQueue(tenant: string, scope: QueueScope, key: string, overdueOnly: boolean, pageToken: string) {
  const needsKey = scope === "QUEUE_SCOPE_WINDOW" || scope === "QUEUE_SCOPE_DEPARTMENT";
  return useQuery({
    queryKey: ["queue", tenant, scope, key, overdueOnly, pageToken],
    enabled: !needsKey || key !== "",
    refetchInterval: 30_000,
    queryFn: () =>
      data(
        matters.GET("/v1/tenants/{tenant}/queue", {
          params: {
            path: { tenant },
            query: {
              scope,
              window: scope === "QUEUE_SCOPE_WINDOW" ? key : undefined,
              department: scope === "QUEUE_SCOPE_DEPARTMENT" ? key : undefined,
              overdueOnly: overdueOnly || undefined,
              pageSize: 20,
              pageToken: pageToken || undefined,
            },
          },
        }),
      ),
  });
}

export function useIntake(tenant: string, state: NonNullable<Application["state"]>, greenOnly: boolean, pageToken: string) {
  return useQuery({
    queryKey: ["applications", tenant, state, greenOnly, pageToken],
    refetchInterval: 30_000,
    queryFn: () =>
      data(
        matters.GET("/v1/tenants/{tenant}/applications", {
          params: { path: { tenant }, query: { state, greenChannel: greenOnly || undefined, pageSize: 20, pageToken: pageToken || undefined } },
        }),
      ),
  });
}

export function useApplication(tenant: string, id: string) {
  return useQuery({
    queryKey: ["application", tenant, id],
    queryFn: () => data(matters.GET("/v1/tenants/{tenant}/applications/{application}", { params: { path: { tenant, application: id } } })),
  });
}

export function useMatter(name?: string, version?: number) {
  const code = name?.split("/")[1] ?? "";
  return useQuery({
    queryKey: ["matter", code, version],
    enabled: code !== "",
    staleTime: 300_000,
    queryFn: () => data(matters.GET("/v1/matters/{matter}", { params: { path: { matter: code }, query: { version } } })),
  });
}

export function useAlerts(tenant: string, id: string) {
  return useQuery({
    queryKey: ["alerts", tenant, id],
    queryFn: () => data(matters.GET("/v1/tenants/{tenant}/applications/{application}/alerts", { params: { path: { tenant, application: id } } })),
  });
}

export function useDocument(name?: string) {
  const { tenant, id } = split(name ?? "");
  return useQuery({
    queryKey: ["document", name],
    enabled: !!name,
    queryFn: () => data(documents.GET("/v1/tenants/{tenant}/documents/{document}", { params: { path: { tenant, document: id } } })),
  });
}

export function useVersions(name?: string) {
  const { tenant, id } = split(name ?? "");
  return useQuery({
    queryKey: ["versions", name],
    enabled: !!name,
    queryFn: () => data(documents.GET("/v1/tenants/{tenant}/documents/{document}/versions", { params: { path: { tenant, document: id } } })),
  });
}

// useAct runs one action on an application (accept, reject, a step …): the application
// comes back changed and replaces the cached one; every list is refreshed.
export function useAct(tenant: string, id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (run: () => Promise<Application>) => run(),
    onSuccess: (app) => {
      qc.setQueryData(["application", tenant, id], app);
      void qc.invalidateQueries({ queryKey: ["queue"] });
      void qc.invalidateQueries({ queryKey: ["applications"] });
      void qc.invalidateQueries({ queryKey: ["alerts", tenant, id] });
    },
  });
}
