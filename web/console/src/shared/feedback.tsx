// How failures and successes reach the person: every failed call shows the service's
// stable code beside its Chinese message.
import { Alert, message as antMessage, notification as antNotification } from "antd";
import type { ReactNode } from "react";
import { describe } from "../api/errors";

type Notify = { error: (err: unknown) => void; success: (text: string) => void };
let notify: Notify = { error: (err) => console.error(err), success: () => {} };

// FeedbackBridge gives code outside components (the query cache) antd's notifications,
// in the theme and locale of the page (the hooks, not antd's App, which would also put
// the dialog code in the first download).
export function FeedbackBridge({ children }: { children: ReactNode }) {
  const [notification, notificationHolder] = antNotification.useNotification();
  const [message, messageHolder] = antMessage.useMessage();
  notify = {
    error: (err) => {
      const d = describe(err);
      notification.error({
        title: d.message,
        description: (
          <span data-testid="error-code">
            错误码 {d.code}
            {d.detail ? `：${d.detail}` : ""}
          </span>
        ),
        placement: "topRight",
        duration: 8,
      });
    },
    success: (text) => void message.success(text),
  };
  return (
    <>
      {notificationHolder}
      {messageHolder}
      {children}
    </>
  );
}

export const showError = (err: unknown) => notify.error(err);
export const showSuccess = (text: string) => notify.success(text);

// ErrorAlert is a failed load in place of what it would have shown.
export function ErrorAlert({ error }: { error: unknown }) {
  const d = describe(error);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={d.message}
      description={
        <span data-testid="error-code">
          错误码 {d.code}
          {d.detail ? `：${d.detail}` : ""}
        </span>
      }
    />
  );
}
