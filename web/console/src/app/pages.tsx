// pages is the console's one table of pages: its routes, its menu and its titles all
// come from here. Adding a page is a component file under src/features/<feature>/ with
// a default export, and one entry below; the page's code is loaded when first visited
// (route-level code splitting), so a new page never grows the initial download.
import {
  AlertOutlined,
  ApartmentOutlined,
  AuditOutlined,
  BankOutlined,
  BarChartOutlined,
  BellOutlined,
  BulbOutlined,
  CalendarOutlined,
  ClockCircleOutlined,
  DashboardOutlined,
  DeploymentUnitOutlined,
  FileAddOutlined,
  FileProtectOutlined,
  HomeOutlined,
  InboxOutlined,
  IssuesCloseOutlined,
  KeyOutlined,
  NodeIndexOutlined,
  PhoneOutlined,
  RiseOutlined,
  SafetyCertificateOutlined,
  SettingOutlined,
  SolutionOutlined,
  TeamOutlined,
  WalletOutlined,
} from "@ant-design/icons";
import type { ComponentType, ReactNode } from "react";

export interface PageDef {
  path: string; // under the layout, without the leading slash; ":param" for parameters
  title: string; // shown in the menu, the breadcrumb and the window title
  // menu puts the page in the side menu under a group; pages reached from a list
  // (an application, a ticket) have none.
  menu?: { group: string; icon: ReactNode };
  // rule: the permission ("<object>:<action>", as the contracts' rules name it) of the
  // page's work; the menu shows the page only to people who hold it as staff at the
  // current tenant (identity's CheckAccess). The services still decide every call.
  rule?: string;
  load: () => Promise<{ default: ComponentType }>;
}

export const menuGroups = ["工作台", "窗口受理", "12345 热线", "涉企法律服务", "企业管家", "督办", "系统管理", "运维监控"];

export const pages: PageDef[] = [
  { path: "", title: "工作台", menu: { group: "工作台", icon: <HomeOutlined /> }, load: () => import("../features/home/HomePage") },

  // 窗口 (window clerk)
  { path: "clerk/intake", title: "待受理", menu: { group: "窗口受理", icon: <InboxOutlined /> }, rule: "matters.applications:create", load: () => import("../features/clerk/IntakePage") },
  { path: "clerk/queue", title: "办件队列", menu: { group: "窗口受理", icon: <SolutionOutlined /> }, rule: "matters.applications:approve", load: () => import("../features/clerk/QueuePage") },
  { path: "clerk/applications/:tenant/:id", title: "办件详情", load: () => import("../features/clerk/ApplicationPage") },
  { path: "clerk/applications/:tenant/:id/print/:form", title: "打印", load: () => import("../features/clerk/PrintPage") },

  // 12345 热线 (hotline handler)
  { path: "hotline/inbox", title: "诉求工单", menu: { group: "12345 热线", icon: <PhoneOutlined /> }, rule: "tickets.tickets:update", load: () => import("../features/hotline/InboxPage") },
  { path: "hotline/overdue", title: "超期与督办", menu: { group: "12345 热线", icon: <AlertOutlined /> }, rule: "tickets.tickets:urge", load: () => import("../features/hotline/OverduePage") },
  { path: "hotline/tickets/:tenant/:id", title: "工单详情", load: () => import("../features/hotline/TicketPage") },

  // 涉企法律服务 (legal coordinator, legal-aid lawyers, stewards) and 企业管家 (stewards)
  { path: "legal/cases", title: "涉企案件", menu: { group: "涉企法律服务", icon: <SafetyCertificateOutlined /> }, rule: "legalaid.cases:read", load: () => import("../features/legal/CasesPage") },
  { path: "legal/intake", title: "案件受理", menu: { group: "涉企法律服务", icon: <FileAddOutlined /> }, rule: "legalaid.cases:create", load: () => import("../features/legal/IntakePage") },
  { path: "legal/preservation", title: "保全措施报告", menu: { group: "涉企法律服务", icon: <FileProtectOutlined /> }, rule: "legalaid.cases:read", load: () => import("../features/legal/PreservationReportPage") },
  { path: "legal/cases/:tenant/:id", title: "案件详情", load: () => import("../features/legal/CasePage") },
  { path: "stewardship/enterprises", title: "企业名录", menu: { group: "企业管家", icon: <BankOutlined /> }, rule: "stewardship.enterprises:read", load: () => import("../features/stewardship/EnterprisesPage") },
  { path: "stewardship/problems", title: "问题诉求", menu: { group: "企业管家", icon: <IssuesCloseOutlined /> }, rule: "stewardship.visits:read", load: () => import("../features/stewardship/ProblemsPage") },
  { path: "stewardship/arrears", title: "拖欠账款台账", menu: { group: "企业管家", icon: <WalletOutlined /> }, rule: "stewardship.arrears:read", load: () => import("../features/stewardship/ArrearsPage") },
  { path: "stewardship/programmes", title: "培育计划与奖励", menu: { group: "企业管家", icon: <RiseOutlined /> }, rule: "stewardship.programmes:read", load: () => import("../features/stewardship/ProgrammesPage") },
  { path: "stewardship/opportunities", title: "机会清单", menu: { group: "企业管家", icon: <BulbOutlined /> }, rule: "stewardship.opportunities:create", load: () => import("../features/stewardship/OpportunitiesPage") },
  { path: "stewardship/enterprises/:tenant/:code", title: "企业详情", load: () => import("../features/stewardship/EnterprisePage") },
  { path: "stewardship/debts/:tenant/:id", title: "账款详情", load: () => import("../features/stewardship/DebtPage") },

  // 督办 (supervisor) and 系统管理 (administrator)
  { path: "supervisor/board", title: "督办看板", menu: { group: "督办", icon: <BarChartOutlined /> }, rule: "audit.records:read", load: () => import("../features/supervisor/DashboardPage") },
  { path: "supervisor/records", title: "督办明细", load: () => import("../features/supervisor/RecordsPage") },
  { path: "supervisor/audit", title: "审计轨迹", menu: { group: "督办", icon: <AuditOutlined /> }, rule: "audit.records:read", load: () => import("../features/supervisor/AuditPage") },
  { path: "admin/tenants", title: "单位管理", menu: { group: "系统管理", icon: <ApartmentOutlined /> }, rule: "identity.tenants:update", load: () => import("../features/admin/TenantsPage") },
  { path: "admin/users", title: "人员与授权", menu: { group: "系统管理", icon: <TeamOutlined /> }, rule: "identity.users:update", load: () => import("../features/admin/UsersPage") },
  { path: "admin/settings", title: "业务设置", menu: { group: "系统管理", icon: <SettingOutlined /> }, rule: "config.settings:update", load: () => import("../features/admin/SettingsPage") },
  { path: "admin/calendar", title: "工作日历", menu: { group: "系统管理", icon: <CalendarOutlined /> }, rule: "config.calendar:read", load: () => import("../features/admin/CalendarPage") },
  { path: "admin/clients", title: "接入应用", menu: { group: "系统管理", icon: <KeyOutlined /> }, rule: "identity.clients:read", load: () => import("../features/admin/ClientsPage") },

  // 运维监控 (operators: traces, metrics, alerts; never personal information)
  { path: "ops/red", title: "服务调用", menu: { group: "运维监控", icon: <DashboardOutlined /> }, rule: "ops.telemetry:read", load: () => import("../features/ops/RedPage") },
  { path: "ops/traces", title: "链路查询", menu: { group: "运维监控", icon: <NodeIndexOutlined /> }, rule: "ops.telemetry:read", load: () => import("../features/ops/TracesPage") },
  { path: "ops/traces/:id", title: "链路详情", load: () => import("../features/ops/TracePage") },
  { path: "ops/sla", title: "时限监控", menu: { group: "运维监控", icon: <ClockCircleOutlined /> }, rule: "ops.telemetry:read", load: () => import("../features/ops/SlaPage") },
  { path: "ops/platform", title: "平台运行", menu: { group: "运维监控", icon: <DeploymentUnitOutlined /> }, rule: "ops.telemetry:read", load: () => import("../features/ops/PlatformPage") },
  { path: "ops/alerts", title: "告警", menu: { group: "运维监控", icon: <BellOutlined /> }, rule: "ops.telemetry:read", load: () => import("../features/ops/AlertsPage") },
];
