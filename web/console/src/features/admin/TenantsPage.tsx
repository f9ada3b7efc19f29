// 单位管理: the tenant tree of the administrator's subtree; a change to one tenant (its
// name, the services it has enabled, enabled or not, its parent) or a new tenant below
// it is previewed field by field before anything is sent, as `gaoxing tenant apply
// --dry-run` prints its plan.
import { useQueryClient } from "@tanstack/react-query";
import { Button, Card, Col, Descriptions, Empty, Form, Input, Modal, Row, Select, Space, Switch, Table, Tag, Tree, Typography } from "antd";
import type { DataNode } from "antd/es/tree";
import { useMemo, useState } from "react";
import { data, identity } from "../../api/client";
import { useSession } from "../../app/session";
import { ErrorAlert, showError, showSuccess } from "../../shared/feedback";
import { serviceLabels, services, tenantId, tiers, useTenantTree, type Tenant } from "./api";

// Change is one line of a plan: "~" a field changed, "+" a tenant added.
interface Change {
  op: "+" | "~";
  field: string;
  before: string;
  after: string;
}

interface Draft {
  displayName: string;
  enabled: boolean;
  services: string[];
  parent: string;
}

const list = (xs?: string[]) => (xs && xs.length ? xs.map((s) => serviceLabels[s] ?? s).join("、") : "（无）");
const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

// plan is what applying draft to t would change, in the order it is applied.
export function plan(t: Tenant, d: Draft): Change[] {
  const out: Change[] = [];
  if (d.displayName.trim() !== (t.displayName ?? "")) out.push({ op: "~", field: "名称", before: t.displayName ?? "", after: d.displayName.trim() });
  if (!sameSet(d.services, t.services ?? [])) out.push({ op: "~", field: "开通业务", before: list(t.services), after: list(d.services) });
  if (d.enabled !== !!t.enabled) out.push({ op: "~", field: "状态", before: t.enabled ? "启用" : "停用", after: d.enabled ? "启用" : "停用" });
  if (d.parent !== tenantId(t.parent)) out.push({ op: "~", field: "上级单位", before: tenantId(t.parent) || "（无）", after: d.parent });
  return out;
}

export default function TenantsPage() {
  const { tenant } = useSession();
  const q = useTenantTree(tenant);
  const [selected, setSelected] = useState<string>(tenant);
  const all = q.data?.tenants ?? [];
  const byId = useMemo(() => new Map(all.map((t) => [tenantId(t.name), t])), [all]);
  const tree = useMemo(() => {
    const kids = new Map<string, Tenant[]>();
    for (const t of all) {
      const p = tenantId(t.parent);
      kids.set(p, [...(kids.get(p) ?? []), t]);
    }
    const node = (t: Tenant): DataNode => {
      const id = tenantId(t.name);
      return {
        key: id,
        title: (
          <span>
            {t.displayName} <Typography.Text type="secondary">{id}</Typography.Text> {!t.enabled && <Tag color="default">停用</Tag>}
          </span>
        ),
        children: (kids.get(id) ?? []).sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")).map(node),
      };
    };
    const root = byId.get(tenant);
    return root ? [node(root)] : [];
  }, [all, byId, tenant]);
  const current = byId.get(selected);
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={10}>
        <Card title="单位树">
          {q.error ? (
            <ErrorAlert error={q.error} />
          ) : tree.length ? (
            <Tree treeData={tree} defaultExpandedKeys={[tenant, ...all.filter((t) => t.tier !== "community").map((t) => tenantId(t.name))]} selectedKeys={[selected]} onSelect={(keys) => keys[0] && setSelected(String(keys[0]))} aria-label="单位树" />
          ) : (
            <Empty description={q.isLoading ? "加载中…" : "没有可管理的单位"} />
          )}
        </Card>
      </Col>
      <Col xs={24} lg={14}>{current && <TenantPanel key={`${selected}|${current.etag}`} t={current} all={all} />}</Col>
    </Row>
  );
}

function TenantPanel({ t, all }: { t: Tenant; all: Tenant[] }) {
  const qc = useQueryClient();
  const id = tenantId(t.name);
  const [form] = Form.useForm<Draft>();
  const [preview, setPreview] = useState<Change[] | null>(null);
  const [pending, setPending] = useState(false);
  const initial: Draft = { displayName: t.displayName ?? "", enabled: !!t.enabled, services: t.services ?? [], parent: tenantId(t.parent) };
  // A tenant moves only under one of a higher tier, never under itself or its subtree.
  const parents = all.filter((p) => {
    const pid = tenantId(p.name);
    return pid !== id && !pid.startsWith(id + ".") && (t.tier === "community" ? p.tier === "street" : t.tier === "street" ? p.tier === "district" : false);
  });

  const apply = async () => {
    const d = form.getFieldsValue();
    setPending(true);
    try {
      let cur = t;
      const path = { tenant: id };
      if (d.displayName.trim() !== (cur.displayName ?? ""))
        cur = await data(identity.POST("/v1/tenants/{tenant}:rename", { params: { path }, body: { displayName: d.displayName.trim(), etag: cur.etag } }));
      if (!sameSet(d.services, cur.services ?? []))
        cur = await data(identity.POST("/v1/tenants/{tenant}:setServices", { params: { path }, body: { services: d.services, etag: cur.etag } }));
      if (d.enabled !== !!cur.enabled) cur = await data(identity.POST("/v1/tenants/{tenant}:setEnabled", { params: { path }, body: { enabled: d.enabled, etag: cur.etag } }));
      if (d.parent !== tenantId(cur.parent)) await data(identity.POST("/v1/tenants/{tenant}:move", { params: { path }, body: { newParent: `tenants/${d.parent}`, etag: cur.etag } }));
      showSuccess("变更已应用");
      setPreview(null);
    } catch (err) {
      showError(err);
    } finally {
      setPending(false);
      // Whatever part was applied is shown as it now is.
      void qc.invalidateQueries({ queryKey: ["tenants"] });
    }
  };

  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card title={`${t.displayName}（${id}）`}>
        <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
          <Descriptions.Item label="层级">{tiers[t.tier ?? ""] ?? t.tier}</Descriptions.Item>
          <Descriptions.Item label="上级单位">{tenantId(t.parent) || "（无）"}</Descriptions.Item>
          <Descriptions.Item label="状态">{t.enabled ? <Tag color="green">启用</Tag> : <Tag>停用</Tag>}</Descriptions.Item>
          <Descriptions.Item label="开通业务">{list(t.services)}</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title="修改单位">
        <Form<Draft>
          form={form}
          name="edit"
          layout="vertical"
          initialValues={initial}
          onFinish={(d) => {
            const changes = plan(t, d);
            if (changes.length === 0) showSuccess("没有需要应用的变更");
            else setPreview(changes);
          }}
        >
          <Form.Item name="displayName" label="名称" rules={[{ required: true, whitespace: true, message: "请填写单位名称" }, { max: 64, message: "名称至多 64 字" }]}>
            <Input />
          </Form.Item>
          <Form.Item name="services" label="开通业务">
            <Select mode="multiple" options={services.map((s) => ({ value: s, label: serviceLabels[s] }))} />
          </Form.Item>
          <Form.Item name="parent" label="上级单位">
            <Select disabled={parents.length === 0} options={[...new Set([initial.parent, ...parents.map((p) => tenantId(p.name))])].filter(Boolean).map((p) => ({ value: p, label: p }))} />
          </Form.Item>
          <Form.Item name="enabled" label="启用" valuePropName="checked">
            <Switch />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            预览变更
          </Button>
        </Form>
      </Card>
      {t.tier !== "community" && <CreateChild parent={t} />}
      <Modal title="变更预览" open={preview !== null} okText="应用变更" cancelText="取消" confirmLoading={pending} onOk={() => void apply()} onCancel={() => setPreview(null)} width={640}>
        <PlanTable changes={preview ?? []} />
      </Modal>
    </Space>
  );
}

function PlanTable({ changes }: { changes: Change[] }) {
  return (
    <Table<Change>
      rowKey={(c) => c.op + c.field}
      size="small"
      pagination={false}
      dataSource={changes}
      columns={[
        { title: "", dataIndex: "op", width: 32, render: (op: string) => <Typography.Text strong type={op === "+" ? "success" : "warning"}>{op}</Typography.Text> },
        { title: "项目", dataIndex: "field" },
        { title: "现在", dataIndex: "before", render: (x: string) => <Typography.Text delete={!!x}>{x}</Typography.Text> },
        { title: "变更后", dataIndex: "after" },
      ]}
    />
  );
}

const childTier: Record<string, string> = { district: "street", street: "community" };

function CreateChild({ parent }: { parent: Tenant }) {
  const qc = useQueryClient();
  const pid = tenantId(parent.name);
  const [form] = Form.useForm<{ id: string; displayName: string; services: string[] }>();
  const [preview, setPreview] = useState<Change[] | null>(null);
  const [pending, setPending] = useState(false);
  const tier = childTier[parent.tier ?? ""] ?? "";
  const create = async () => {
    const v = form.getFieldsValue();
    setPending(true);
    try {
      await data(
        identity.POST("/v1/tenants/{tenant}/tenants", {
          params: { path: { tenant: pid }, query: { tenantId: v.id.trim() } },
          body: { displayName: v.displayName.trim(), tier, services: v.services, enabled: true },
        }),
      );
      showSuccess(`已新建单位 ${pid}.${v.id.trim()}`);
      setPreview(null);
      form.resetFields();
      void qc.invalidateQueries({ queryKey: ["tenants"] });
    } catch (err) {
      showError(err);
    } finally {
      setPending(false);
    }
  };
  return (
    <Card title="新建下级单位">
      <Form
        form={form}
        name="child"
        layout="vertical"
        initialValues={{ services: parent.services?.filter((s) => s !== "identity") ?? [] }}
        onFinish={(v) =>
          setPreview([
            { op: "+", field: "单位编码", before: "", after: `${pid}.${v.id.trim()}` },
            { op: "+", field: "名称", before: "", after: v.displayName.trim() },
            { op: "+", field: "层级", before: "", after: tiers[tier] ?? tier },
            { op: "+", field: "开通业务", before: "", after: list(v.services) },
          ])
        }
      >
        <Form.Item name="id" label="编码（末段）" extra={`如 c30，得到 ${pid}.c30`} rules={[{ required: true, message: "请填写编码" }, { pattern: /^[a-z0-9]{1,16}$/, message: "编码为小写字母或数字，至多 16 位" }]}>
          <Input />
        </Form.Item>
        <Form.Item name="displayName" label="名称" rules={[{ required: true, whitespace: true, message: "请填写单位名称" }, { max: 64, message: "名称至多 64 字" }]}>
          <Input />
        </Form.Item>
        <Form.Item name="services" label="开通业务">
          <Select mode="multiple" options={services.map((s) => ({ value: s, label: serviceLabels[s] }))} />
        </Form.Item>
        <Button htmlType="submit">预览新建</Button>
      </Form>
      <Modal title="新建预览" open={preview !== null} okText="确认新建" cancelText="取消" confirmLoading={pending} onOk={() => void create()} onCancel={() => setPreview(null)}>
        <PlanTable changes={preview ?? []} />
      </Modal>
    </Card>
  );
}
