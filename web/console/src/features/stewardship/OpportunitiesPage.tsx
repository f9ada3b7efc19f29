// 机会清单: items by theme and period, drafted by staff and published (the public list
// shows published items only, without the contact person); withdrawing takes one back.
import { Button, Card, Form, Input, Popconfirm, Segmented, Select, Space, Table, Tag, Typography } from "antd";
import { useSearchParams } from "react-router";
import { data, split, stewardship } from "../../api/client";
import { useSession } from "../../app/session";
import { ErrorAlert, showSuccess } from "../../shared/feedback";
import { FormActionBar, required } from "../../shared/formActions";
import { Pager, usePageTokens } from "../../shared/paging";
import { formatTime } from "../../shared/time";
import { opportunityStateLabel, themes, useAct, useOpportunities, type Opportunity } from "./api";

type State = NonNullable<Opportunity["state"]>;
const states = (["OPPORTUNITY_STATE_DRAFT", "OPPORTUNITY_STATE_PUBLISHED", "OPPORTUNITY_STATE_UNSPECIFIED"] as State[]).map((value) => ({
  value,
  label: opportunityStateLabel[value].text,
}));
const periodRule = { pattern: /^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$/, message: "期次格式为 2026-05 或 2026-Q2" };

export default function OpportunitiesPage() {
  const { tenant } = useSession();
  const [params, setParams] = useSearchParams();
  const state = (params.get("state") as State | null) ?? "OPPORTUNITY_STATE_UNSPECIFIED";
  const paging = usePageTokens(`${tenant}|${state}`);
  const q = useOpportunities(tenant, state, paging.token);
  const act = useAct<Opportunity>(undefined, ["opportunities"]);
  const flip = (o: Opportunity, publish: boolean) => {
    const { tenant: t, id } = split(o.name ?? "");
    const path = { tenant: t, opportunitie: id };
    return act
      .mutateAsync(() =>
        data(
          publish
            ? stewardship.POST("/v1/tenants/{tenant}/opportunities/{opportunitie}:publish", { params: { path }, body: {} })
            : stewardship.POST("/v1/tenants/{tenant}/opportunities/{opportunitie}:withdraw", { params: { path }, body: {} }),
        ),
      )
      .then(() => showSuccess(publish ? "已发布" : "已撤回为草稿"))
      .catch(() => {});
  };
  return (
    <Card
      title="机会清单"
      extra={
        <Space wrap>
          <Segmented<State> aria-label="发布状态" options={states} value={state} onChange={(s) => setParams({ state: s }, { replace: true })} />
          <FormActionBar<Opportunity>
            label="机会清单操作"
            mutate={act.mutateAsync}
            pending={act.isPending}
            actions={[
              {
                key: "create",
                label: "新建条目",
                primary: true,
                initial: { theme: themes[0] },
                form: (
                  <>
                    <Form.Item name="theme" label="主题" rules={required("主题")}>
                      <Select options={themes.map((t) => ({ value: t, label: t }))} />
                    </Form.Item>
                    <Form.Item name="period" label="期次（发布前须填写）" rules={[periodRule]}>
                      <Input placeholder="2026-Q2" />
                    </Form.Item>
                    <Form.Item name="title" label="标题" rules={required("标题")}>
                      <Input maxLength={200} />
                    </Form.Item>
                    <Form.Item name="description" label="内容" rules={required("内容")}>
                      <Input.TextArea rows={3} maxLength={5000} />
                    </Form.Item>
                    <Form.Item name="department" label="发布部门" rules={required("发布部门")}>
                      <Input maxLength={100} />
                    </Form.Item>
                    <Form.Item name="contactName" label="联系人（不公开）">
                      <Input maxLength={50} />
                    </Form.Item>
                    <Form.Item name="contactPhone" label="联系电话（不公开）">
                      <Input maxLength={20} />
                    </Form.Item>
                  </>
                ),
                run: (v) =>
                  data(
                    stewardship.POST("/v1/tenants/{tenant}/opportunities", {
                      params: { path: { tenant } },
                      body: {
                        theme: v.theme,
                        period: v.period || undefined,
                        title: v.title,
                        description: v.description,
                        department: v.department,
                        contact: v.contactName ? { name: v.contactName, phone: v.contactPhone } : undefined,
                      },
                    }),
                  ),
                done: "草稿已保存",
              },
            ]}
          />
        </Space>
      }
    >
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Table<Opportunity>
          rowKey="name"
          size="middle"
          loading={q.isLoading}
          dataSource={q.data?.opportunities}
          pagination={false}
          scroll={{ x: "max-content" }}
          aria-label="机会清单"
          locale={{ emptyText: <Typography.Text type="secondary">没有条目</Typography.Text> }}
          columns={[
            { title: "标题", dataIndex: "title" },
            { title: "主题", dataIndex: "theme", render: (t: string) => <Tag>{t}</Tag> },
            { title: "期次", dataIndex: "period", render: (p: string) => p || <Tag color="orange">未填写</Tag> },
            { title: "发布部门", dataIndex: "department", responsive: ["md"] },
            { title: "联系人", render: (_, o) => (o.contact ? `${o.contact.name ?? ""} ${o.contact.phone ?? ""}` : "—"), responsive: ["lg"] },
            {
              title: "状态",
              dataIndex: "state",
              render: (s: State, o) => (
                <Space size={4}>
                  <Tag color={opportunityStateLabel[s ?? "OPPORTUNITY_STATE_UNSPECIFIED"].color}>{opportunityStateLabel[s ?? "OPPORTUNITY_STATE_UNSPECIFIED"].text}</Tag>
                  {o.publishTime && formatTime(o.publishTime)}
                </Space>
              ),
            },
            {
              title: "操作",
              render: (_, o) =>
                o.state === "OPPORTUNITY_STATE_PUBLISHED" ? (
                  <Popconfirm title="撤回后公众将看不到该条目，确定？" okText="确定" cancelText="取消" onConfirm={() => flip(o, false)}>
                    <Button size="small">撤回</Button>
                  </Popconfirm>
                ) : (
                  <Popconfirm title="发布后公众可在网站和公众号看到（不含联系人），确定？" okText="确定" cancelText="取消" onConfirm={() => flip(o, true)}>
                    <Button size="small" type="primary">
                      发布
                    </Button>
                  </Popconfirm>
                ),
            },
          ]}
        />
      )}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
    </Card>
  );
}
