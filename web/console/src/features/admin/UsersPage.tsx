// 人员与授权: the accounts homed at the current tenant, a new account (in the
// administrator's subtree: identity refuses any other with its code), and each
// account's grants — granted and revoked under identity's rules (OUTSIDE_ADMIN_SCOPE
// when the administrator could not have made the grant itself).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { AutoComplete, Button, Card, Drawer, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Typography } from "antd";
import type { ColumnsType } from "antd/es/table";
import { useState } from "react";
import { data, identity } from "../../api/client";
import { useSession } from "../../app/session";
import { ErrorAlert, showSuccess } from "../../shared/feedback";
import { Pager, usePageTokens } from "../../shared/paging";
import { formatTime } from "../../shared/time";
import { roles, tenantId, useGrants, useTenantTree, useUsers, type User } from "./api";

const kinds: Record<string, string> = { staff: "工作人员", enterprise: "企业", citizen: "群众" };
const statuses: Record<string, { text: string; color: string }> = {
  active: { text: "正常", color: "green" },
  suspended: { text: "已停用", color: "orange" },
  left: { text: "已离岗", color: "default" },
};
const roleTitle = (r?: string) => roles.find((x) => x.value === r)?.label ?? r;

export default function UsersPage() {
  const { tenant } = useSession();
  const paging = usePageTokens(tenant);
  const q = useUsers(tenant, paging.token);
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [granting, setGranting] = useState<User | null>(null);
  const status = useMutation({
    mutationFn: (u: User) =>
      data(identity.POST("/v1/tenants/{tenant}/users/{user}:setStatus", {
        params: { path: { tenant: tenantId(u.name?.split("/users/")[0]), user: u.name?.split("/users/")[1] ?? "" } },
        body: { status: u.status === "active" ? "suspended" : "active", version: u.version },
      })),
    onSuccess: (u) => {
      showSuccess(u.status === "active" ? "账号已启用" : "账号已停用");
      void qc.invalidateQueries({ queryKey: ["users"] });
    },
  });
  const columns: ColumnsType<User> = [
    { title: "用户名", dataIndex: "username" },
    { title: "姓名", dataIndex: "displayName" },
    { title: "类型", dataIndex: "kind", render: (k: string) => kinds[k] ?? k },
    { title: "状态", dataIndex: "status", render: (s: string) => <Tag color={statuses[s]?.color}>{statuses[s]?.text ?? s}</Tag> },
    { title: "创建时间", dataIndex: "createTime", render: (x?: string) => formatTime(x) },
    {
      title: "操作",
      key: "ops",
      render: (_, u) => (
        <Space size={4} wrap>
          <Button size="small" onClick={() => setGranting(u)} aria-label={`角色授权：${u.username}`}>
            角色授权
          </Button>
          {u.status !== "left" && (
            <Popconfirm title={u.status === "active" ? "停用后该账号不能登录，确定？" : "确定启用该账号？"} okText="确定" cancelText="取消" onConfirm={() => status.mutateAsync(u).catch(() => {})}>
              <Button size="small" danger={u.status === "active"}>
                {u.status === "active" ? "停用" : "启用"}
              </Button>
            </Popconfirm>
          )}
        </Space>
      ),
    },
  ];
  return (
    <Card
      title={`人员与授权（${tenant}）`}
      extra={
        <Button type="primary" onClick={() => setCreating(true)}>
          新建账号
        </Button>
      }
    >
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Table<User> rowKey="name" size="small" columns={columns} dataSource={q.data?.users} loading={q.isLoading} pagination={false} locale={{ emptyText: "本单位没有账号" }} scroll={{ x: true }} />
      )}
      <Pager page={paging.page} hasPrev={paging.hasPrev} nextToken={q.data?.nextPageToken} onPrev={paging.prev} onNext={paging.next} />
      <CreateUser open={creating} onClose={() => setCreating(false)} />
      <Grants user={granting} onClose={() => setGranting(null)} />
    </Card>
  );
}

interface NewUser {
  tenant: string;
  username: string;
  displayName: string;
  password: string;
  role?: string;
}

// CreateUser makes a staff account with a first password (changed at its first sign-in)
// and, if chosen, its first role at the same tenant.
function CreateUser({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { tenant } = useSession();
  const tree = useTenantTree(tenant, open);
  const qc = useQueryClient();
  const [form] = Form.useForm<NewUser>();
  const create = useMutation({
    mutationFn: async (v: NewUser) => {
      const u = await data(
        identity.POST("/v1/tenants/{tenant}/users", {
          params: { path: { tenant: v.tenant.trim() } },
          body: { user: { username: v.username.trim(), displayName: v.displayName.trim(), kind: "staff" }, password: v.password },
        }),
      );
      if (v.role) await data(identity.POST("/v1/roles:grant", { body: { tenant: `tenants/${v.tenant.trim()}`, subject: u.name, role: v.role } }));
      return u;
    },
    onSuccess: (u) => {
      showSuccess(`已新建账号 ${u.username}，首次登录时需修改密码`);
      form.resetFields();
      onClose();
      void qc.invalidateQueries({ queryKey: ["users"] });
    },
  });
  const options = (tree.data?.tenants ?? []).map((t) => ({ value: tenantId(t.name), label: `${tenantId(t.name)} ${t.displayName}` }));
  return (
    <Modal title="新建账号" open={open} okText="创建" cancelText="取消" confirmLoading={create.isPending} onOk={() => form.submit()} onCancel={onClose} destroyOnHidden>
      {create.error && <ErrorAlert error={create.error} />}
      <Form<NewUser> form={form} name="newUser" layout="vertical" initialValues={{ tenant }} onFinish={(v) => create.mutate(v)} style={{ marginTop: 12 }}>
        <Form.Item name="tenant" label="所属单位" rules={[{ required: true, message: "请填写所属单位" }, { pattern: /^[a-z0-9]+(\.[a-z0-9]+)*$/, message: "单位编码如 ahz.s01.c07" }]}>
          <AutoComplete options={options} filterOption={(input, o) => String(o?.label ?? "").includes(input)} />
        </Form.Item>
        <Form.Item name="username" label="用户名" rules={[{ required: true, message: "请填写用户名" }, { pattern: /^[a-z0-9][a-z0-9._-]{2,31}$/, message: "3 到 32 位小写字母、数字或 . _ -，以字母或数字开头" }]}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="displayName" label="姓名" rules={[{ required: true, whitespace: true, message: "请填写姓名" }, { max: 64, message: "至多 64 个字" }]}>
          <Input />
        </Form.Item>
        <Form.Item name="password" label="初始密码" extra="首次登录时本人须修改" rules={[{ required: true, message: "请填写初始密码" }, { min: 12, message: "至少 12 位" }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="role" label="角色（在所属单位授予）">
          <Select allowClear options={roles} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

// Grants lists an account's grants (each reaches its tenant's subtree) and changes them.
function Grants({ user, onClose }: { user: User | null; onClose: () => void }) {
  const { tenant } = useSession();
  const subject = user?.name ?? "";
  const q = useGrants(subject);
  const qc = useQueryClient();
  const [form] = Form.useForm<{ tenant: string; role: string }>();
  const change = useMutation({
    mutationFn: ({ op, tenant, role }: { op: "grant" | "revoke"; tenant: string; role: string }) =>
      op === "grant"
        ? data(identity.POST("/v1/roles:grant", { body: { tenant, subject, role } }))
        : data(identity.POST("/v1/roles:revoke", { body: { tenant, subject, role } })),
    onSuccess: (_, v) => {
      showSuccess(v.op === "grant" ? "已授予角色" : "已撤销角色");
      void qc.invalidateQueries({ queryKey: ["grants", subject] });
    },
  });
  return (
    <Drawer title={user ? `角色授权：${user.displayName}（${user.username}）` : ""} open={user !== null} onClose={onClose} size="large" destroyOnHidden>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Table
          rowKey={(g) => `${g.role}@${g.tenant}`}
          size="small"
          pagination={false}
          loading={q.isLoading}
          dataSource={q.data?.grants}
          locale={{ emptyText: "没有角色" }}
          columns={[
            { title: "角色", dataIndex: "role", render: (r: string, g) => g.title || roleTitle(r) },
            { title: "授予单位（含下级）", dataIndex: "tenant", render: (t: string) => tenantId(t) },
            {
              title: "",
              key: "revoke",
              render: (_, g) => (
                <Popconfirm title="确定撤销该角色？" okText="确定" cancelText="取消" onConfirm={() => change.mutateAsync({ op: "revoke", tenant: g.tenant ?? "", role: g.role ?? "" }).catch(() => {})}>
                  <Button size="small" danger>
                    撤销
                  </Button>
                </Popconfirm>
              ),
            },
          ]}
        />
      )}
      <Typography.Title level={5} style={{ marginTop: 24 }}>
        授予角色
      </Typography.Title>
      <Form form={form} name="grant" layout="inline" initialValues={{ tenant }} onFinish={(v) => change.mutateAsync({ op: "grant", tenant: `tenants/${v.tenant.trim()}`, role: v.role }).catch(() => {})}>
        <Form.Item name="role" label="角色" rules={[{ required: true, message: "请选择角色" }]}>
          <Select options={roles} style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="tenant" label="单位" rules={[{ required: true, message: "请填写单位" }]}>
          <Input style={{ width: 160 }} />
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={change.isPending}>
          授予
        </Button>
      </Form>
    </Drawer>
  );
}
