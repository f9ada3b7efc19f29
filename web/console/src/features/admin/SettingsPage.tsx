// 业务设置: a service's settings as one tenant sees them — the values in force and the
// tenant's own override — and the override edited as JSON. The service validates the
// merged result for the tenant and every tenant below it before anything is written, so
// a refusal names the field and its stable code, and nothing changes.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Col, Form, Input, Row, Select, Space, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { ApiError } from "../../api/errors";
import { useSession } from "../../app/session";
import { ErrorAlert, showSuccess } from "../../shared/feedback";
import { serviceLabels, settingsServices, updateSettings, useSettings, type SettingsService } from "./api";

const pretty = (v: unknown) => (v === undefined ? "" : JSON.stringify(v, null, 2));

export default function SettingsPage() {
  const { tenant: current } = useSession();
  const [service, setService] = useState<SettingsService>("tickets");
  const [tenant, setTenant] = useState(current);
  useEffect(() => setTenant(current), [current]);
  const q = useSettings(service, tenant);
  const [text, setText] = useState("");
  const [parseError, setParseError] = useState("");
  useEffect(() => {
    setText(pretty(q.data?.override));
    setParseError("");
  }, [q.data]);
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: (override: Record<string, unknown> | undefined) => updateSettings(service, tenant, override, q.data?.etag ?? ""),
    onSuccess: (s) => {
      qc.setQueryData(["settings", service, tenant], s);
      showSuccess(s.override ? "设置已保存" : "已清除本单位设置，沿用上级设置");
    },
  });
  const submit = () => {
    if (text.trim() === "") return save.mutate(undefined);
    try {
      const v = JSON.parse(text);
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("应为 JSON 对象");
      setParseError("");
      save.mutate(v);
    } catch (e) {
      setParseError(`不是有效的 JSON 对象：${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const violations = save.error instanceof ApiError ? save.error.fields : [];
  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card title="业务设置">
        <Form layout="inline" name="settingsTarget">
          <Form.Item label="服务" htmlFor="settings_service">
            <Select
              id="settings_service"
              aria-label="服务"
              value={service}
              style={{ minWidth: 180 }}
              onChange={(v: SettingsService) => {
                save.reset();
                setService(v);
              }}
              options={settingsServices.map((s) => ({ value: s, label: serviceLabels[s] ?? s }))}
            />
          </Form.Item>
          <Form.Item label="单位编号" htmlFor="settings_tenant">
            <Input.Search
              id="settings_tenant"
              key={tenant}
              defaultValue={tenant}
              enterButton="查看"
              style={{ minWidth: 260 }}
              onSearch={(v) => {
                save.reset();
                setTenant(v.trim());
              }}
            />
          </Form.Item>
        </Form>
      </Card>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <Card title={`生效设置（${tenant}）`} loading={q.isLoading} extra={<Tag>默认值、全局设置与各级单位设置合并</Tag>}>
              <pre data-testid="settings-effective" tabIndex={0} aria-label="生效设置（JSON）" style={{ maxHeight: 560, overflow: "auto", margin: 0, fontSize: 13 }}>
                {pretty(q.data?.effective)}
              </pre>
            </Card>
          </Col>
          <Col xs={24} xl={12}>
            <Card title="本单位设置" loading={q.isLoading} extra={q.data?.override ? <Tag color="blue">已设置</Tag> : <Tag>沿用上级</Tag>}>
              <Space direction="vertical" style={{ width: "100%" }}>
                <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
                  只写需要与上级不同的字段（JSON 对象，按字段合并；类别等键值表中的一项需整体给出，如某类别的全部时限）。留空保存即清除本单位设置。
                </Typography.Paragraph>
                <label htmlFor="settings_override">本单位设置（JSON）</label>
                <Input.TextArea
                  id="settings_override"
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  autoSize={{ minRows: 8, maxRows: 24 }}
                  spellCheck={false}
                  style={{ fontFamily: "monospace" }}
                />
                {parseError && <Alert type="error" showIcon role="alert" title={parseError} />}
                {save.error && <ErrorAlert error={save.error} />}
                {violations.length > 0 && (
                  <Table
                    data-testid="settings-violations"
                    size="small"
                    pagination={false}
                    rowKey={(f) => `${f.field}-${f.code}`}
                    dataSource={violations}
                    columns={[
                      { title: "字段", dataIndex: "field", render: (f: string) => <Typography.Text code>{f}</Typography.Text> },
                      { title: "错误码", dataIndex: "code" },
                      { title: "说明", dataIndex: "description" },
                    ]}
                  />
                )}
                <Space>
                  <Button type="primary" onClick={submit} loading={save.isPending}>
                    保存设置
                  </Button>
                  <Button onClick={() => setText(pretty(q.data?.override))}>还原</Button>
                  <Typography.Text type="secondary">版本 {q.data?.etag ?? "—"}</Typography.Text>
                </Space>
              </Space>
            </Card>
          </Col>
        </Row>
      )}
    </Space>
  );
}
