// 办件队列: open applications of one scope — mine, one window, one department, or the
// whole tenant with its subtree — green channel first, then earliest deadline (so the
// overdue lead), refreshed every 30 s with countdowns that tick every second.
import { Card, Input, Segmented, Space, Switch } from "antd";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { ApplicationTable } from "./ApplicationTable";
import { useQueue, type QueueScope } from "./api";

const scopes: { label: string; value: QueueScope }[] = [
  { label: "我的", value: "QUEUE_SCOPE_MINE" },
  { label: "本窗口", value: "QUEUE_SCOPE_WINDOW" },
  { label: "本部门", value: "QUEUE_SCOPE_DEPARTMENT" },
  { label: "本辖区", value: "QUEUE_SCOPE_TENANT" },
];

export default function QueuePage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const scope = (params.get("scope") as QueueScope | null) ?? "QUEUE_SCOPE_MINE";
  const key = params.get("key") ?? "";
  const overdue = params.get("overdue") === "1";
  const [draft, setDraft] = useState(key);
  const paging = usePageTokens(`${tenant}|${scope}|${key}|${overdue}`);
  const q = useQueue(tenant, scope, key, overdue, paging.token);
  const set = (next: Record<string, string>) => setParams({ scope, key, overdue: overdue ? "1" : "", ...next }, { replace: true });
  const needsKey = scope === "QUEUE_SCOPE_WINDOW" || scope === "QUEUE_SCOPE_DEPARTMENT";

  return (
    <Card
      title="办件队列"
      extra={
        <Space wrap>
          <Segmented<QueueScope>
            aria-label="队列范围"
            options={scopes}
            value={scope}
            onChange={(s) => {
              setDraft("");
              set({ scope: s, key: "" });
            }}
          />
          {needsKey && (
            <Input.Search
              aria-label={scope === "QUEUE_SCOPE_WINDOW" ? "窗口编号" : "部门名称"}
              placeholder={scope === "QUEUE_SCOPE_WINDOW" ? "窗口编号，如 w01" : "部门名称"}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onSearch={(v) => set({ key: v.trim() })}
              enterButton="查看"
              style={{ width: 240 }}
            />
          )}
          <label>
            <Space size={4}>
              <Switch size="small" checked={overdue} onChange={(v) => set({ overdue: v ? "1" : "" })} aria-label="只看超期" />
              只看超期
            </Space>
          </label>
        </Space>
      }
    >
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <ApplicationTable rows={q.data?.applications} loading={q.isLoading && !(needsKey && !key)} caption="办件队列" />
      )}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
