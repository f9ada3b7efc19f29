// Previewing a stored document in the page: its bytes are fetched with the caller's token
// (never a public link) and shown from a blob: URL.
import { Button, Modal, Spin, Typography } from "antd";
import { useEffect, useState } from "react";
import { accessToken, split } from "../api/client";
import { fromResponse } from "../api/errors";
import { ErrorAlert } from "./feedback";

export function PreviewButton({ document: name, version, label = "预览" }: { document: string; version?: number; label?: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button size="small" onClick={() => setOpen(true)}>
        {label}
      </Button>
      {open && <PreviewModal name={name} version={version} onClose={() => setOpen(false)} />}
    </>
  );
}

function PreviewModal({ name, version, onClose }: { name: string; version?: number; onClose: () => void }) {
  const [state, setState] = useState<{ url?: string; type?: string; error?: unknown }>({});
  useEffect(() => {
    let url: string | undefined;
    const { tenant, id } = split(name);
    (async () => {
      const token = await accessToken();
      const q = version ? `?version=${version}` : "";
      const resp = await fetch(`/api/documents/v1/tenants/${tenant}/documents/${id}:download${q}`, {
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      if (!resp.ok) throw fromResponse(resp.status, await resp.json().catch(() => undefined));
      const blob = await resp.blob();
      url = URL.createObjectURL(blob);
      setState({ url, type: blob.type });
    })().catch((error) => setState({ error }));
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [name, version]);
  const { url, type, error } = state;
  return (
    <Modal open title={`预览 ${split(name).id}${version ? ` 第 ${version} 版` : ""}`} onCancel={onClose} footer={null} width={880}>
      {error ? (
        <ErrorAlert error={error} />
      ) : !url ? (
        <Spin description="读取中…" />
      ) : type?.startsWith("image/") ? (
        <img src={url} alt="材料预览" style={{ maxWidth: "100%" }} />
      ) : type === "application/pdf" || type?.startsWith("text/") ? (
        <iframe src={url} title="材料预览" style={{ width: "100%", height: "70vh", border: 0 }} />
      ) : (
        <Typography.Paragraph>
          此类文件（{type || "未知类型"}）不能在页面中预览，
          <a href={url} download>
            下载查看
          </a>
          。
        </Typography.Paragraph>
      )}
    </Modal>
  );
}
