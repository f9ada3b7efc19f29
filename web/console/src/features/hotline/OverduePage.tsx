// 超期与督办: every overdue ticket of the tenant and below, whatever its state.
import { Card } from "antd";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { TicketTable } from "./TicketTable";
import { useTickets } from "./api";

export default function OverduePage() {
  const { tenant } = useSession();
  const paging = usePageTokens(tenant);
  const q = useTickets(tenant, "STATE_UNSPECIFIED", true, paging.token);
  return (
    <Card title="超期与督办">
      {q.error ? <ErrorAlert error={q.error} /> : <TicketTable rows={q.data?.tickets} loading={q.isLoading} caption="超期工单" />}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
