// 诉求工单: the handler's inbox by state.
import { Card, Segmented, Space, Switch } from "antd";
import { useSearchParams } from "react-router";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import type { TicketState } from "../../shared/labels";
import { Pager, usePageTokens } from "../../shared/paging";
import { TicketTable } from "./TicketTable";
import { useTickets } from "./api";

const states: { label: string; value: TicketState }[] = [
  { label: "待签收", value: "STATE_DISPATCHED" },
  { label: "已签收", value: "STATE_CLAIMED" },
  { label: "办理中", value: "STATE_IN_PROGRESS" },
  { label: "已答复", value: "STATE_REPLIED" },
  { label: "已办结", value: "STATE_CLOSED" },
  { label: "待派单", value: "STATE_RECEIVED" },
  { label: "全部", value: "STATE_UNSPECIFIED" },
];

export default function InboxPage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const state = (params.get("state") as TicketState | null) ?? "STATE_DISPATCHED";
  const overdue = params.get("overdue") === "1";
  const paging = usePageTokens(`${tenant}|${state}|${overdue}`);
  const q = useTickets(tenant, state, overdue, paging.token);
  return (
    <Card
      title="诉求工单"
      extra={
        <Space wrap>
          <Segmented<TicketState> aria-label="工单状态" options={states} value={state} onChange={(s) => setParams({ state: s, overdue: overdue ? "1" : "" }, { replace: true })} />
          <label>
            <Space size={4}>
              <Switch size="small" checked={overdue} onChange={(v) => setParams({ state, overdue: v ? "1" : "" }, { replace: true })} aria-label="只看超期" />
              只看超期
            </Space>
          </label>
        </Space>
      }
    >
      {q.error ? <ErrorAlert error={q.error} /> : <TicketTable rows={q.data?.tickets} loading={q.isLoading} caption="诉求工单" />}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
