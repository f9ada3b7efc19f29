// The application: Ant Design in Chinese, one query cache for all server state, and the
// routes of pages.tsx behind the frame.
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ConfigProvider, Typography } from "antd";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { lazy, useMemo, useState } from "react";
import { createBrowserRouter, RouterProvider } from "react-router";
import { ApiError } from "../api/errors";
import { FeedbackBridge, showError } from "../shared/feedback";
import type { Profile } from "./auth";
import { Layout } from "./Layout";
import { pages } from "./pages";
import { SessionContext } from "./session";

dayjs.locale("zh-cn");

const queryClient = new QueryClient({
  queryCache: new QueryCache({
    // A failed background refresh is announced; a failed first load shows in its page.
    onError: (err, query) => {
      if (query.state.data !== undefined) showError(err);
    },
  }),
  mutationCache: new MutationCache({ onError: (err) => showError(err) }),
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // Refusals are answers, not outages: do not ask again.
      retry: (n, err) => !(err instanceof ApiError && err.status > 0 && err.status < 500) && n < 2,
    },
  },
});

// The router reads the address when made: after the sign-in callback has put back the
// page the person asked for, not when this module loads.
const makeRouter = () =>
  createBrowserRouter([
  {
    path: "/",
    Component: Layout,
    children: [
      ...pages.map((p) => (p.path === "" ? { index: true, Component: lazy(p.load) } : { path: p.path, Component: lazy(p.load) })),
      { path: "*", Component: NotFound },
    ],
  },
]);

// Ant Design's grey texts fall short of WCAG AA contrast on white; these keep 4.5:1.
const theme = {
  token: {
    colorPrimary: "#1656c9",
    colorLink: "#1450b8",
    colorError: "#cf1322",
    borderRadius: 4,
    colorTextSecondary: "rgba(0, 0, 0, 0.68)",
    colorTextTertiary: "rgba(0, 0, 0, 0.62)",
    colorTextDescription: "rgba(0, 0, 0, 0.62)",
    colorTextPlaceholder: "rgba(0, 0, 0, 0.58)",
    // No animations for people who asked their system for less motion.
    motion: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
  },
};

function NotFound() {
  return (
    <div role="alert" style={{ padding: 48, textAlign: "center" }}>
      <Typography.Title level={3}>页面不存在</Typography.Title>
      <Typography.Text type="secondary">请从左侧菜单进入。</Typography.Text>
    </div>
  );
}

export function App({ profile }: { profile: Profile }) {
  const [router] = useState(makeRouter);
  const [tenant, setTenant] = useState(profile.tenant);
  const session = useMemo(() => ({ profile, tenant, setTenant }), [profile, tenant]);
  return (
    // Buttons read as written (no space put between two Chinese characters).
    <ConfigProvider locale={zhCN} button={{ autoInsertSpace: false }} theme={theme}>
      <FeedbackBridge>
        <QueryClientProvider client={queryClient}>
          <SessionContext.Provider value={session}>
            <RouterProvider router={router} />
          </SessionContext.Provider>
        </QueryClientProvider>
      </FeedbackBridge>
    </ConfigProvider>
  );
}
