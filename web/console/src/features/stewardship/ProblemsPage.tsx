// 问题诉求: the problems enterprises raised in the tenant's subtree, by state; an open one
// becomes a ticket, and then shows the ticket's state.
import { Card, Segmented } from "antd";
import { useSearchParams } from "react-router";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { ProblemList } from "./EnterprisePage";
import { problemStateLabel, useProblems, type Problem } from "./api";

type State = NonNullable<Problem["state"]>;
const states = (["PROBLEM_STATE_OPEN", "PROBLEM_STATE_TICKETED", "PROBLEM_STATE_RESOLVED", "PROBLEM_STATE_UNSPECIFIED"] as State[]).map((value) => ({
  value,
  label: problemStateLabel[value].text,
}));

export default function ProblemsPage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const state = (params.get("state") as State | null) ?? "PROBLEM_STATE_OPEN";
  const paging = usePageTokens(`${tenant}|${state}`);
  const q = useProblems(tenant, "", state, paging.token);
  return (
    <Card title="问题诉求" extra={<Segmented<State> aria-label="问题状态" options={states} value={state} onChange={(s) => setParams({ state: s }, { replace: true })} />}>
      {q.error ? <ErrorAlert error={q.error} /> : <ProblemList rows={q.data?.problems} loading={q.isLoading} />}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
