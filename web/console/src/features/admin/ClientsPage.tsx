// 接入应用: machine clients (a court, legal aid, a 12345 platform) of the current tenant:
// register one, look one up, rotate its secret — shown once, never stored by the
// console — and disable or enable it (a disabled client's tokens stop working at once).
import { useMutation } from "@tanstack/react-query";
import { Alert, Button, Card, Col, Descriptions, Form, Input, Modal, Popconfirm, Row, Select, Space, Tag, Typography } from "antd";
import { useState } from "react";
import { data, identity } from "../../api/client";
import type { components as C } from "../../api/gen/identity";
import { useSession } from "../../app/session";
import { ErrorAlert, showSuccess } from "../../shared/feedback";
import { formatTime } from "../../shared/time";
import { tenantId, type Client } from "./api";

type Registered = C["schemas"]["v1RegisterClientResponse"];

const clientParts = (name?: string) => {
  const [, tenant, , client] = (name ?? "").split("/");
  return { tenant: tenant ?? "", client: client ?? "" };
};

export default function ClientsPage() {
  const { tenant } = useSession();
  const [secret, setSecret] = useState<Registered | null>(null);
  const [client, setClient] = useState<Client | null>(null);
  const [form] = Form.useForm<{ clientId: string; displayName: string; scopes: string[] }>();
  const register = useMutation({
    mutationFn: (v: { clientId: string; displayName: string; scopes: string[] }) =>
      data(identity.POST("/v1/tenants/{tenant}/clients", { params: { path: { tenant } }, body: { clientId: v.clientId.trim(), client: { displayName: v.displayName.trim(), scopes: v.scopes ?? [] } } })),
    onSuccess: (r) => {
      setSecret(r);
      setClient(r.client ?? null);
      form.resetFields();
    },
  });
  const lookup = useMutation({
    mutationFn: (id: string) => data(identity.GET("/v1/tenants/{tenant}/clients/{client}", { params: { path: { tenant, client: id.trim() } } })),
    onSuccess: setClient,
  });
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card title={`登记接入应用（${tenant}）`}>
          <Form form={form} name="register" layout="vertical" onFinish={(v) => register.mutate(v)}>
            <Form.Item name="clientId" label="应用标识" extra="应用的 client_id 为 svc-标识" rules={[{ required: true, message: "请填写应用标识" }, { pattern: /^[a-z0-9][a-z0-9-]{1,30}$/, message: "2 到 31 位小写字母、数字或 -，以字母或数字开头" }]}>
              <Input />
            </Form.Item>
            <Form.Item name="displayName" label="应用名称" rules={[{ required: true, whitespace: true, message: "请填写应用名称" }, { max: 64, message: "至多 64 个字" }]}>
              <Input />
            </Form.Item>
            <Form.Item
              name="scopes"
              label="权限范围"
              extra="令牌可申请的范围；应用能做什么由授予它的角色决定"
              rules={[{ validator: (_, v?: string[]) => ((v ?? []).every((s) => /^[a-z][a-z0-9._:-]{0,63}$/.test(s)) ? Promise.resolve() : Promise.reject(new Error("范围为小写字母开头的字母、数字或 . _ : -"))) }]}
            >
              <Select mode="tags" tokenSeparators={[" ", ","]} options={[{ value: "openid" }]} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={register.isPending}>
              登记
            </Button>
          </Form>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card title="查找接入应用">
          <Input.Search aria-label="应用标识" placeholder="如 svc-court01" enterButton="查找" loading={lookup.isPending} onSearch={(v) => v.trim() && lookup.mutate(v)} />
          {lookup.error && <div style={{ marginTop: 12 }}><ErrorAlert error={lookup.error} /></div>}
          {client && <ClientPanel c={client} onChange={setClient} onSecret={setSecret} />}
        </Card>
      </Col>
      <Modal
        title="应用密钥（仅显示这一次）"
        open={secret !== null}
        closable={false}
        maskClosable={false}
        footer={<Button type="primary" onClick={() => setSecret(null)}>我已妥善保存</Button>}
      >
        <Alert type="warning" showIcon title="关闭后无法再次查看；遗失只能轮换密钥。" style={{ marginBottom: 12 }} />
        <Descriptions column={1} size="small">
          <Descriptions.Item label="client_id">
            <Typography.Text copyable>{secret?.client?.id}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label="client_secret">
            <Typography.Text copyable code data-testid="client-secret">
              {secret?.clientSecret}
            </Typography.Text>
          </Descriptions.Item>
        </Descriptions>
      </Modal>
    </Row>
  );
}

function ClientPanel({ c, onChange, onSecret }: { c: Client; onChange: (c: Client) => void; onSecret: (r: Registered) => void }) {
  const path = clientParts(c.name);
  const rotate = useMutation({
    mutationFn: () => data(identity.POST("/v1/tenants/{tenant}/clients/{client}:rotateSecret", { params: { path }, body: {} })),
    onSuccess: (r) => {
      onSecret(r);
      if (r.client) onChange(r.client);
    },
  });
  const enable = useMutation({
    mutationFn: (enabled: boolean) => data(identity.POST("/v1/tenants/{tenant}/clients/{client}:setEnabled", { params: { path }, body: { enabled, version: c.version } })),
    onSuccess: (cl) => {
      showSuccess(cl.disabled ? "应用已停用，其令牌已失效" : "应用已启用");
      onChange(cl);
    },
  });
  return (
    <Space direction="vertical" style={{ width: "100%", marginTop: 16 }}>
      <Descriptions column={1} size="small" bordered>
        <Descriptions.Item label="client_id">{c.id}</Descriptions.Item>
        <Descriptions.Item label="名称">{c.displayName}</Descriptions.Item>
        <Descriptions.Item label="所属单位">{tenantId(`tenants/${path.tenant}`)}</Descriptions.Item>
        <Descriptions.Item label="权限范围">{(c.scopes ?? []).join(" ") || "—"}</Descriptions.Item>
        <Descriptions.Item label="状态">{c.disabled ? <Tag>已停用</Tag> : <Tag color="green">启用</Tag>}</Descriptions.Item>
        <Descriptions.Item label="登记时间">{formatTime(c.createTime)}</Descriptions.Item>
      </Descriptions>
      {!c.public && (
        <Space wrap>
          <Popconfirm title="轮换后旧密钥立即失效，确定？" okText="确定" cancelText="取消" onConfirm={() => rotate.mutateAsync().catch(() => {})}>
            <Button loading={rotate.isPending}>轮换密钥</Button>
          </Popconfirm>
          <Popconfirm title={c.disabled ? "确定启用该应用？" : "停用后该应用的所有令牌立即失效，确定？"} okText="确定" cancelText="取消" onConfirm={() => enable.mutateAsync(!!c.disabled).catch(() => {})}>
            <Button danger={!c.disabled} loading={enable.isPending}>
              {c.disabled ? "启用" : "停用"}
            </Button>
          </Popconfirm>
        </Space>
      )}
    </Space>
  );
}
