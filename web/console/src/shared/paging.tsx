// Server paging with opaque page tokens (AIP-158): forward with the token the last page
// gave, back by remembering the tokens of the pages seen.
import { Button, Space } from "antd";
import { useCallback, useState } from "react";

export function usePageTokens(resetKey: string) {
  const [state, setState] = useState<{ key: string; stack: string[] }>({ key: resetKey, stack: [""] });
  const stack = state.key === resetKey ? state.stack : [""];
  const token = stack[stack.length - 1];
  const next = useCallback((t: string) => setState({ key: resetKey, stack: [...stack, t] }), [resetKey, stack]);
  const prev = useCallback(() => setState({ key: resetKey, stack: stack.slice(0, -1) }), [resetKey, stack]);
  return { token, page: stack.length, next, prev, hasPrev: stack.length > 1 };
}

export function Pager({ page, hasPrev, nextToken, onPrev, onNext }: { page: number; hasPrev: boolean; nextToken?: string; onPrev: () => void; onNext: (t: string) => void }) {
  return (
    <Space style={{ marginTop: 12 }}>
      <Button disabled={!hasPrev} onClick={onPrev}>
        上一页
      </Button>
      <span aria-live="polite">第 {page} 页</span>
      <Button disabled={!nextToken} onClick={() => nextToken && onNext(nextToken)}>
        下一页
      </Button>
    </Space>
  );
}
