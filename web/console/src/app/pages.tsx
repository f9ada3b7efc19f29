// pages is the console's one table of pages: its routes, its menu and its titles all
// come from here. Adding a page is a component file under src/features/<feature>/ with
// a default export, and one entry below; the page's code is loaded when first visited
// (route-level code splitting), so a new page never grows the initial download.
import {
  AlertOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BarChartOutlined,
  KeyOutlined,
  TeamOutlined,
  HomeOutlined,
  InboxOutlined,
  PhoneOutlined,
  SolutionOutlined,
} from "@ant-design/icons";
import type { ComponentType, ReactNode } from "react";

export interface PageDef {
  path: string; // under the layout, without the leading slash; ":param" for parameters
  title: string; // shown in the menu, the breadcrumb and the window title
  // menu puts the page in the side menu under a group; pages reached from a list
  // (an application, a ticket) have none.
  menu?: { group: string; icon: ReactNode };
  load: () => Promise<{ default: ComponentType }>;
}

export const menuGroups = ["工作台", "窗口受理", "12345 热线", "督办", "系统管理"];

export const pages: PageDef[] = [
  { path: "", title: "工作台", menu: { group: "工作台", icon: <HomeOutlined /> }, load: () => import("../features/home/HomePage") },

  // 窗口 (window clerk)
  { path: "clerk/intake", title: "待受理", menu: { group: "窗口受理", icon: <InboxOutlined /> }, load: () => import("../features/clerk/IntakePage") },
  { path: "clerk/queue", title: "办件队列", menu: { group: "窗口受理", icon: <SolutionOutlined /> }, load: () => import("../features/clerk/QueuePage") },
  { path: "clerk/applications/:tenant/:id", title: "办件详情", load: () => import("../features/clerk/ApplicationPage") },
  { path: "clerk/applications/:tenant/:id/print/:form", title: "打印", load: () => import("../features/clerk/PrintPage") },

  // 12345 热线 (hotline handler)
  { path: "hotline/inbox", title: "诉求工单", menu: { group: "12345 热线", icon: <PhoneOutlined /> }, load: () => import("../features/hotline/InboxPage") },
  { path: "hotline/overdue", title: "超期与督办", menu: { group: "12345 热线", icon: <AlertOutlined /> }, load: () => import("../features/hotline/OverduePage") },
  { path: "hotline/tickets/:tenant/:id", title: "工单详情", load: () => import("../features/hotline/TicketPage") },

  // 督办 (supervisor) and 系统管理 (administrator)
  { path: "supervisor/board", title: "督办看板", menu: { group: "督办", icon: <BarChartOutlined /> }, load: () => import("../features/supervisor/DashboardPage") },
  { path: "supervisor/records", title: "督办明细", load: () => import("../features/supervisor/RecordsPage") },
  { path: "supervisor/audit", title: "审计轨迹", menu: { group: "督办", icon: <AuditOutlined /> }, load: () => import("../features/supervisor/AuditPage") },
  { path: "admin/tenants", title: "单位管理", menu: { group: "系统管理", icon: <ApartmentOutlined /> }, load: () => import("../features/admin/TenantsPage") },
  { path: "admin/users", title: "人员与授权", menu: { group: "系统管理", icon: <TeamOutlined /> }, load: () => import("../features/admin/UsersPage") },
  { path: "admin/clients", title: "接入应用", menu: { group: "系统管理", icon: <KeyOutlined /> }, load: () => import("../features/admin/ClientsPage") },
];
