// 申请材料: what the matter asks for against what was handed in, each handed-in file
// with its preview, its versions and a new version's upload.
import { Button, Modal, Space, Table, Tag, Typography } from "antd";
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { split } from "../../api/client";
import type { components as M } from "../../api/gen/matters";
import type { Application } from "../../shared/labels";
import { PreviewButton } from "../../shared/preview";
import { showError, showSuccess } from "../../shared/feedback";
import { formatTime } from "../../shared/time";
import { UploadButton } from "../../shared/upload";
import { useDocument, useVersions } from "./api";

type Material = M["schemas"]["v1Material"];

const requirementLabel: Record<string, { text: string; color: string }> = {
  REQUIREMENT_REQUIRED: { text: "必要", color: "red" },
  REQUIREMENT_OPTIONAL: { text: "非必要", color: "default" },
  REQUIREMENT_DEFERRABLE: { text: "可容缺", color: "gold" },
  REQUIREMENT_UNSPECIFIED: { text: "—", color: "default" },
};

interface Row {
  name: string;
  requirement?: string;
  form?: string;
  document?: string;
  missing: boolean;
}

export function Materials({ app, materials }: { app: Application; materials: Material[] }) {
  const handedIn = new Map((app.materials ?? []).map((m) => [m.name ?? "", m.document ?? ""]));
  const rows: Row[] = materials.map((m) => ({
    name: m.name ?? "",
    requirement: m.requirement,
    form: m.form,
    document: handedIn.get(m.name ?? ""),
    missing: (app.missingMaterials ?? []).includes(m.name ?? ""),
  }));
  for (const [name, document] of handedIn) if (!rows.some((r) => r.name === name)) rows.push({ name, document, missing: false });
  return (
    <Table<Row>
      rowKey="name"
      size="small"
      pagination={false}
      dataSource={rows}
      scroll={{ x: "max-content" }}
      aria-label="申请材料"
      columns={[
        { title: "材料", dataIndex: "name" },
        {
          title: "要求",
          dataIndex: "requirement",
          render: (r?: string) => {
            const l = requirementLabel[r ?? "REQUIREMENT_UNSPECIFIED"];
            return <Tag color={l.color}>{l.text}</Tag>;
          },
        },
        { title: "形式", dataIndex: "form", responsive: ["lg"] },
        {
          title: "已交",
          render: (_, r) =>
            r.document ? <DocumentCell name={r.document} /> : r.missing ? <Tag color="orange">待补</Tag> : <Typography.Text type="secondary">未交</Typography.Text>,
        },
      ]}
    />
  );
}

function DocumentCell({ name }: { name: string }) {
  const doc = useDocument(name);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const qc = useQueryClient();
  const { tenant } = split(name);
  return (
    <Space wrap>
      <Typography.Text>{doc.data?.filename ?? split(name).id}</Typography.Text>
      {doc.data?.version ? <Tag>第 {doc.data.version} 版</Tag> : null}
      <PreviewButton document={name} />
      <Button size="small" onClick={() => setVersionsOpen(true)}>
        历史版本
      </Button>
      <UploadButton
        tenant={tenant}
        label="上传新版本"
        small
        query={{ document: name }}
        onDone={() => {
          showSuccess("新版本已上传");
          void qc.invalidateQueries({ queryKey: ["document", name] });
          void qc.invalidateQueries({ queryKey: ["versions", name] });
        }}
        onError={showError}
      />
      {versionsOpen && <Versions name={name} onClose={() => setVersionsOpen(false)} />}
    </Space>
  );
}

function Versions({ name, onClose }: { name: string; onClose: () => void }) {
  const v = useVersions(name);
  return (
    <Modal open title="历史版本" onCancel={onClose} footer={null} width={720}>
      <Table
        rowKey="version"
        size="small"
        loading={v.isLoading}
        pagination={false}
        dataSource={v.data?.versions}
        columns={[
          { title: "版本", dataIndex: "version" },
          { title: "文件名", dataIndex: "filename" },
          { title: "大小", dataIndex: "sizeBytes", render: (s?: string) => (s ? `${(Number(s) / 1024).toFixed(1)} KB` : "—") },
          { title: "上传时间", dataIndex: "createTime", render: formatTime },
          { title: "", render: (_, r) => <PreviewButton document={name} version={r.version} /> },
        ]}
      />
    </Modal>
  );
}
