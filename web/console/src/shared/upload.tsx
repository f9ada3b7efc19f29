// Uploading a file to the documents service with a progress bar. The bytes stream to
// documents:upload (fetch cannot report upload progress, so this is the one
// XMLHttpRequest); the answer is the stored document.
import { UploadOutlined } from "@ant-design/icons";
import { Button, Progress, Space, Typography } from "antd";
import { useRef, useState } from "react";
import { accessToken } from "../api/client";
import { ApiError, fromResponse, networkError } from "../api/errors";
import type { components as D, paths } from "../api/gen/documents";

export type StoredDocument = D["schemas"]["v1Document"];
type UploadQuery = NonNullable<paths["/v1/tenants/{tenant}/documents:upload"]["post"]["parameters"]["query"]>;

export async function uploadDocument(tenant: string, file: File, query: UploadQuery, onProgress: (pct: number) => void): Promise<StoredDocument> {
  const token = await accessToken();
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries({ filename: file.name, ...query })) if (v) qs.set(k, String(v));
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `/api/documents/v1/tenants/${encodeURIComponent(tenant)}/documents:upload?${qs}`);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onerror = () => reject(networkError(new Error("upload failed")));
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as StoredDocument);
      else if (xhr.status === 413) reject(new ApiError("FILE_TOO_LARGE", "文件超过大小限制", 413));
      else reject(fromResponse(xhr.status, body));
    };
    xhr.send(file);
  });
}

// UploadButton picks a file, uploads it and reports the stored document.
export function UploadButton({ tenant, label, query, onDone, onError, small }: {
  tenant: string;
  label: string;
  query?: UploadQuery;
  small?: boolean; // in a row of other small buttons
  onDone: (doc: StoredDocument) => void;
  onError: (err: unknown) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [pct, setPct] = useState<number | null>(null);
  const [name, setName] = useState("");
  return (
    <Space orientation="vertical" size={2} style={small ? { verticalAlign: "middle" } : { width: "100%" }}>
      <input
        ref={input}
        type="file"
        hidden
        aria-label={label}
        onChange={async (e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (!file) return;
          setName(file.name);
          setPct(0);
          try {
            onDone(await uploadDocument(tenant, file, query ?? {}, setPct));
            setPct(100);
          } catch (err) {
            setPct(null);
            onError(err);
          }
        }}
      />
      <Button icon={<UploadOutlined />} size={small ? "small" : "middle"} onClick={() => input.current?.click()} loading={pct !== null && pct < 100}>
        {label}
      </Button>
      {pct !== null && (
        <>
          <Typography.Text type="secondary" ellipsis>
            {name}
          </Typography.Text>
          <Progress percent={pct} size="small" aria-label={`${name} 上传进度`} />
        </>
      )}
    </Space>
  );
}
