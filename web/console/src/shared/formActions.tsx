// FormActionBar: like ActionBar, for records whose actions need inputs ActionBar's field
// kinds do not offer (a choice of one enum value, a date and time, a list of rows): each
// action brings its own Form.Items. Legal cases and the stewardship pages use it.
import { Button, Form, Modal, Popconfirm, Space } from "antd";
import { useState, type ReactNode } from "react";
import { showSuccess } from "./feedback";

export interface FormAction<T> {
  key: string;
  label: string;
  primary?: boolean;
  danger?: boolean;
  confirm?: string; // no form: a confirmation
  form?: ReactNode; // the Form.Items of the action's dialog
  initial?: Record<string, unknown>;
  // run sends the call; the form's values arrive as the Form.Items named them.
  run: (values: any) => Promise<T>;
  done: string;
}

// FormActionBar shows actions; mutate runs one through the page's mutation, whose
// failures the query cache shows with their stable code.
export function FormActionBar<T>({ actions, mutate, pending, label }: {
  actions: FormAction<T>[];
  mutate: (run: () => Promise<T>) => Promise<T>;
  pending: boolean;
  label: string;
}) {
  const [open, setOpen] = useState<FormAction<T> | null>(null);
  if (actions.length === 0) return null;
  const run = (a: FormAction<T>, values: Record<string, unknown>) =>
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
      {open && <ActionDialog action={open} pending={pending} onCancel={() => setOpen(null)} onSubmit={(v) => run(open, v).catch(() => {})} />}
    </>
  );
}

function ActionDialog<T>({ action, pending, onCancel, onSubmit }: {
  action: FormAction<T>;
  pending: boolean;
  onCancel: () => void;
  onSubmit: (v: Record<string, unknown>) => void;
}) {
  const [form] = Form.useForm();
  return (
    <Modal open title={action.label} okText="提交" cancelText="取消" confirmLoading={pending} onCancel={onCancel} onOk={() => form.submit()} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={action.initial} onFinish={onSubmit} requiredMark>
        {action.form}
      </Form>
    </Modal>
  );
}

// required is the rule of a field that must be filled.
export const required = (label: string) => [{ required: true, message: `请填写${label}` }];
