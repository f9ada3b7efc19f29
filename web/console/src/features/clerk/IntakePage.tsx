// 待受理: applications waiting at the counter (or for a 补正 to come back), in the
// current tenant and below.
import { Card, Segmented, Space, Switch } from "antd";
import { useState } from "react";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { ApplicationTable } from "./ApplicationTable";
import { useIntake } from "./api";

const states = [
  { label: "待受理", value: "STATE_SUBMITTED" },
  { label: "待补正", value: "STATE_CORRECTION_REQUESTED" },
  { label: "容缺待补齐", value: "STATE_ACCEPTED_DEFERRED" },
] as const;

type IntakeState = (typeof states)[number]["value"];

export default function IntakePage() {
  const { tenant } = useSession();
  const [state, setState] = useState<IntakeState>("STATE_SUBMITTED");
  const [green, setGreen] = useState(false);
  const paging = usePageTokens(`${tenant}|${state}|${green}`);
  const q = useIntake(tenant, state, green, paging.token);
  return (
    <Card
      title="待受理"
      extra={
        <Space wrap>
          <Segmented<IntakeState> aria-label="办件状态" options={[...states]} value={state} onChange={setState} />
          <label>
            <Space size={4}>
              <Switch size="small" checked={green} onChange={setGreen} aria-label="只看绿色通道" />
              只看绿色通道
            </Space>
          </label>
        </Space>
      }
    >
      {q.error ? <ErrorAlert error={q.error} /> : <ApplicationTable rows={q.data?.applications} loading={q.isLoading} caption="待受理办件" />}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
