// The frame around every page: the side menu (from pages.tsx), the header with the tenant
// and the signed-in person, and the page itself, loaded on first visit.
import { LogoutOutlined, MenuOutlined, UserOutlined } from "@ant-design/icons";
import { Button, Dropdown, Grid, Layout as AntLayout, Menu, Spin, Tag, Typography, type MenuProps } from "antd";
import { useQuery } from "@tanstack/react-query";
import { Suspense, lazy, useEffect, useMemo, useState } from "react";
import { Outlet, matchPath, useLocation, useNavigate } from "react-router";
import { data, identity } from "../api/client";
import { signOut } from "./auth";
import { menuGroups, pages } from "./pages";
import { useSession } from "./session";

const { Header, Sider, Content } = AntLayout;

// The tenant switcher reads identity's tree; it loads after the frame, the home tenant
// shown until then.
const TenantSwitcher = lazy(() => import("../features/admin/TenantSwitcher"));

// The rules of the menu's pages, asked of identity once per tenant.
const menuRules = [...new Set(pages.flatMap((p) => (p.menu && p.rule ? [p.rule] : [])))];

// useAllowed is which of the menu's rules the person holds as staff at the tenant. Until
// identity answers (or if it cannot), only the pages without a rule are in the menu; a
// page reached by its address still loads, and its service decides each call.
function useAllowed(tenant: string): Set<string> {
  const q = useQuery({
    queryKey: ["access", tenant],
    staleTime: 60_000,
    queryFn: () => data(identity.GET("/v1/tenants/{tenant}:checkAccess", { params: { path: { tenant }, query: { permissions: menuRules } } })),
  });
  return useMemo(() => new Set(q.data?.allowed ?? []), [q.data]);
}

export function Layout() {
  const { profile, tenant } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const screens = Grid.useBreakpoint();
  const narrow = !screens.lg; // a tablet held upright, or a small laptop window
  const [collapsed, setCollapsed] = useState(narrow);
  useEffect(() => setCollapsed(narrow), [narrow]);

  const current = pages.find((p) => matchPath({ path: "/" + p.path, end: true }, location.pathname));
  useEffect(() => {
    document.title = `${current?.title ?? "高兴办"} · 高兴办工作台`;
  }, [current]);

  const allowed = useAllowed(tenant);
  const items: MenuProps["items"] = useMemo(
    () =>
      menuGroups
        .map((group) => ({
          type: "group" as const,
          label: group,
          key: group,
          children: pages
            .filter((p) => p.menu?.group === group && (!p.rule || allowed.has(p.rule)))
            .map((p) => ({ key: "/" + p.path, icon: p.menu?.icon, label: p.title })),
        }))
        .filter((g) => g.children.length > 0),
    [allowed],
  );
  const selected = pages
    .filter((p) => p.menu && location.pathname.startsWith("/" + p.path) && (p.path !== "" || location.pathname === "/"))
    .map((p) => "/" + p.path);

  return (
    <AntLayout style={{ minHeight: "100vh" }}>
      <Sider
        width={208}
        collapsible
        collapsed={collapsed}
        collapsedWidth={0}
        trigger={null}
        theme="light"
        className="no-print"
        style={narrow ? { position: "fixed", height: "100vh", zIndex: 20, boxShadow: collapsed ? undefined : "2px 0 8px rgba(0,0,0,.15)" } : undefined}
      >
        <div className="brand">高兴办 · 工作台</div>
        <nav aria-label="主菜单">
          <Menu
            mode="inline"
            items={items}
            selectedKeys={selected}
            onClick={({ key }) => {
              navigate(key);
              if (narrow) setCollapsed(true);
            }}
          />
        </nav>
      </Sider>
      <AntLayout>
        <Header className="app-header no-print">
          <Button
            type="text"
            icon={<MenuOutlined />}
            aria-label={collapsed ? "展开菜单" : "收起菜单"}
            aria-expanded={!collapsed}
            onClick={() => setCollapsed(!collapsed)}
          />
          <Typography.Text strong className="header-title">
            {current?.title ?? ""}
          </Typography.Text>
          <span style={{ flex: 1 }} />
          <Suspense
            fallback={
              <Tag color="blue" aria-label={`当前单位 ${tenant}`}>
                {tenant}
              </Tag>
            }
          >
            <TenantSwitcher />
          </Suspense>
          <Dropdown
            menu={{ items: [{ key: "out", icon: <LogoutOutlined />, label: "退出登录", onClick: () => void signOut() }] }}
            trigger={["click"]}
          >
            <Button type="text" icon={<UserOutlined />} aria-label={`当前用户 ${profile.name}，打开用户菜单`}>
              {profile.name}
            </Button>
          </Dropdown>
        </Header>
        <Content className="app-content">
          <main>
            <Suspense fallback={<Spin size="large" className="page-spin" description="加载中…" />}>
              <Outlet />
            </Suspense>
          </main>
        </Content>
      </AntLayout>
    </AntLayout>
  );
}
