// The hotline handler's calls to tickets, as query keys and hooks.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { data, tickets } from "../../api/client";
import type { Ticket, TicketState } from "../../shared/labels";

export function useTickets(tenant: string, state: TicketState, overdue: boolean, pageToken: string) {
  return useQuery({
    queryKey: ["tickets", tenant, state, overdue, pageToken],
    refetchInterval: 30_000,
    queryFn: () =>
      data(
        tickets.GET("/v1/tenants/{tenant}/tickets", {
          params: { path: { tenant }, query: { state, overdue: overdue || undefined, pageSize: 20, pageToken: pageToken || undefined } },
        }),
      ),
  });
}

export function useTicket(tenant: string, id: string) {
  return useQuery({
    queryKey: ["ticket", tenant, id],
    queryFn: () => data(tickets.GET("/v1/tenants/{tenant}/tickets/{ticket}", { params: { path: { tenant, ticket: id } } })),
  });
}

// usePublicView is the ticket as the complainant sees it (the Open311 façade).
export function usePublicView(tenant: string, id: string) {
  return useQuery({
    queryKey: ["open311", tenant, id],
    queryFn: () =>
      data(
        tickets.GET("/open311/v2/requests/{service_request_id}.json", {
          params: { path: { service_request_id: id }, query: { jurisdiction_id: tenant } },
        }),
      ),
  });
}

export function useTicketAct(tenant: string, id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (run: () => Promise<Ticket>) => run(),
    onSuccess: (t) => {
      qc.setQueryData(["ticket", tenant, id], t);
      void qc.invalidateQueries({ queryKey: ["tickets"] });
      void qc.invalidateQueries({ queryKey: ["open311", tenant, id] });
    },
  });
}
