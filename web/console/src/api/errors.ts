// ApiError is a failed call as the services report it: the stable code from pkg/errs and
// its Chinese message. Every failure the console shows goes through here, so a clerk can
// read the code out to the help desk.
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly traceId?: string,
    readonly fields: { field: string; code?: string; description?: string }[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ErrorBody {
  error?: {
    code?: string;
    message?: string;
    traceId?: string;
    fieldViolations?: { field?: string; code?: string; description?: string }[];
  };
}

// fromResponse turns an error answer into an ApiError (a body that is not the services'
// error JSON, e.g. from a proxy, still gets a code).
export function fromResponse(status: number, body: unknown): ApiError {
  const e = (body as ErrorBody | undefined)?.error;
  if (e?.code) {
    const fields = (e.fieldViolations ?? []).map((f) => ({ field: f.field ?? "", code: f.code, description: f.description }));
    return new ApiError(e.code, e.message || "请求失败", status, e.traceId, fields);
  }
  return new ApiError(`HTTP_${status}`, `请求失败（HTTP ${status}）`, status);
}

export function networkError(cause: unknown): ApiError {
  const err = new ApiError("NETWORK_ERROR", "无法连接服务器，请检查网络后重试", 0);
  (err as { cause?: unknown }).cause = cause;
  return err;
}

// describe is how an error reads on screen: 「message（CODE）」 plus field details.
export function describe(err: unknown): { code: string; message: string; detail?: string } {
  if (err instanceof ApiError) {
    const detail = err.fields
      .map((f) => [f.field, f.description].filter(Boolean).join("："))
      .filter(Boolean)
      .join("；");
    return { code: err.code, message: err.message, detail: detail || undefined };
  }
  return { code: "CLIENT_ERROR", message: err instanceof Error ? err.message : String(err) };
}
