// ActionBar: the actions a record allows, each a button that opens a short form (or asks
// to confirm) and sends one call; on success the record comes back changed. Both the
// clerk's application page and the handler's ticket page use it.
import { Button, Form, Input, InputNumber, Modal, Popconfirm, Select, Space } from "antd";
import { useState, type ReactNode } from "react";
import { split } from "../api/client";
import type { components as M } from "../api/gen/matters";
import { showError, showSuccess } from "./feedback";
import { UploadButton } from "./upload";

type Submitted = M["schemas"]["v1SubmittedMaterial"];

export interface Field {
  name: string;
  label: string;
  kind: "text" | "textarea" | "number" | "pick" | "upload" | "uploads" | "switch";
  required?: boolean;
  options?: string[]; // pick: the choices
  uploads?: string[]; // uploads: one file per material name
  initial?: unknown;
}

export interface Action<T> {
  key: string;
  label: string;
  primary?: boolean;
  danger?: boolean;
  confirm?: string; // no form: a confirmation
  fields?: Field[];
  run: (values: Record<string, unknown>) => Promise<T>;
  done: string;
}

// ActionBar shows actions; mutate runs one through the page's mutation (its cache update).
export function ActionBar<T>({ actions, mutate, pending, tenant, owner, label }: {
  actions: Action<T>[];
  mutate: (run: () => Promise<T>) => Promise<T>;
  pending: boolean;
  tenant: string; // where uploads go
  owner: string; // the record uploads belong to
  label: string;
}) {
  const [open, setOpen] = useState<Action<T> | null>(null);
  if (actions.length === 0) return null;
  const run = (a: Action<T>, values: Record<string, unknown>) =>
    mutate(() => a.run(values)).then(() => {
      showSuccess(a.done);
      setOpen(null);
    });
  return (
    <>
      <Space wrap role="group" aria-label={label}>
        {actions.map((a) =>
          a.confirm ? (
            <Popconfirm key={a.key} title={a.confirm} okText="确定" cancelText="取消" onConfirm={() => run(a, {}).catch(() => {})}>
              <Button type={a.primary ? "primary" : "default"} danger={a.danger} loading={pending}>
                {a.label}
              </Button>
            </Popconfirm>
          ) : (
            <Button key={a.key} type={a.primary ? "primary" : "default"} danger={a.danger} onClick={() => setOpen(a)}>
              {a.label}
            </Button>
          ),
        )}
      </Space>
      {open && (
        <ActionForm action={open} tenant={tenant} owner={owner} pending={pending} onCancel={() => setOpen(null)} onSubmit={(v) => run(open, v).catch(() => {})} />
      )}
    </>
  );
}

function ActionForm<T>({ action, tenant, owner, pending, onCancel, onSubmit }: {
  action: Action<T>;
  tenant: string;
  owner: string;
  pending: boolean;
  onCancel: () => void;
  onSubmit: (v: Record<string, unknown>) => void;
}) {
  const [form] = Form.useForm();
  const initial = Object.fromEntries((action.fields ?? []).filter((f) => f.initial !== undefined).map((f) => [f.name, f.initial]));
  return (
    <Modal open title={action.label} okText="提交" cancelText="取消" confirmLoading={pending} onCancel={onCancel} onOk={() => form.submit()} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={initial} onFinish={onSubmit} requiredMark>
        {(action.fields ?? []).map((f) => (
          <Form.Item key={f.name} name={f.name} label={f.label} rules={f.required ? [{ required: true, message: `请填写${f.label}` }] : []}>
            {fieldInput(f, tenant, owner)}
          </Form.Item>
        ))}
      </Form>
    </Modal>
  );
}

function fieldInput(f: Field, tenant: string, owner: string): ReactNode {
  switch (f.kind) {
    case "textarea":
      return <Input.TextArea rows={3} maxLength={2000} />;
    case "number":
      return <InputNumber min={1} max={60} />;
    case "pick":
      return <Select mode="multiple" options={(f.options ?? []).map((o) => ({ label: o, value: o }))} placeholder="请选择" />;
    case "upload":
      return <DocumentInput tenant={tenant} owner={owner} label={`上传${f.label}`} />;
    case "uploads":
      return <MaterialsInput tenant={tenant} owner={owner} names={f.uploads ?? []} />;
    case "switch":
      return <Select options={[{ label: "是", value: true }, { label: "否", value: false }]} />;
    default:
      return <Input maxLength={200} />;
  }
}

// DocumentInput is a form value holding one uploaded document's name.
function DocumentInput({ tenant, owner, label, value, onChange }: { tenant: string; owner: string; label: string; value?: string; onChange?: (v: string) => void }) {
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      <UploadButton tenant={tenant} label={label} query={{ owner }} onDone={(d) => onChange?.(d.name ?? "")} onError={showError} />
      {value && <span>已上传：{split(value).id}</span>}
    </Space>
  );
}

// MaterialsInput collects one upload per named material, as SubmittedMaterial values.
function MaterialsInput({ tenant, owner, names, value, onChange }: { tenant: string; owner: string; names: string[]; value?: Submitted[]; onChange?: (v: Submitted[]) => void }) {
  const have = value ?? [];
  return (
    <Space orientation="vertical" style={{ width: "100%" }}>
      {names.map((n) => (
        <div key={n}>
          <div>{n}</div>
          <UploadButton
            tenant={tenant}
            label={`上传「${n}」`}
            query={{ owner }}
            onDone={(d) => onChange?.([...have.filter((m) => m.name !== n), { name: n, document: d.name }])}
            onError={showError}
          />
        </div>
      ))}
    </Space>
  );
}
