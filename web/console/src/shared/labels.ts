// Chinese labels of the contracts' enums, in one place.
import type { components as M } from "../api/gen/matters";
import type { components as T } from "../api/gen/tickets";

export type Application = M["schemas"]["v1Application"];
export type AppState = NonNullable<Application["state"]>;
export type Ticket = T["schemas"]["v1Ticket"];
export type TicketState = NonNullable<Ticket["state"]>;

export const appStateLabel: Record<AppState, { text: string; color: string }> = {
  STATE_UNSPECIFIED: { text: "未知", color: "default" },
  STATE_SUBMITTED: { text: "待受理", color: "blue" },
  STATE_ACCEPTED: { text: "已受理", color: "cyan" },
  STATE_ACCEPTED_DEFERRED: { text: "容缺受理", color: "gold" },
  STATE_CORRECTION_REQUESTED: { text: "待补正", color: "orange" },
  STATE_REJECTED: { text: "不予受理", color: "red" },
  STATE_COMPLETED: { text: "办结", color: "green" },
  STATE_WITHDRAWN: { text: "撤回", color: "default" },
  STATE_TERMINATED: { text: "终止", color: "default" },
};

export const channelLabel: Record<string, string> = {
  CHANNEL_UNSPECIFIED: "—",
  CHANNEL_WINDOW: "窗口",
  CHANNEL_ONLINE: "网上",
  CHANNEL_MOBILE: "掌上",
  CHANNEL_AGENT: "帮代办",
};

export const ticketStateLabel: Record<TicketState, { text: string; color: string }> = {
  STATE_UNSPECIFIED: { text: "未知", color: "default" },
  STATE_RECEIVED: { text: "已接收", color: "blue" },
  STATE_DISPATCHED: { text: "待签收", color: "geekblue" },
  STATE_CLAIMED: { text: "已签收", color: "cyan" },
  STATE_IN_PROGRESS: { text: "办理中", color: "processing" },
  STATE_REPLIED: { text: "已答复", color: "purple" },
  STATE_CLOSED: { text: "已办结", color: "green" },
  STATE_VISITED: { text: "已回访", color: "green" },
  STATE_RATED: { text: "已评价", color: "green" },
};

export const sourceLabel: Record<string, string> = {
  SOURCE_UNSPECIFIED: "—",
  SOURCE_HOTLINE_12345: "12345 热线",
  SOURCE_BUSINESS_PLATFORM: "营商环境平台",
  SOURCE_PETITION: "信访",
  SOURCE_WALK_IN: "来访",
  SOURCE_ONLINE: "网上",
  SOURCE_SUGGESTION: "意见建议",
};

export const priorityLabel: Record<string, { text: string; color: string }> = {
  PRIORITY_UNSPECIFIED: { text: "普通", color: "default" },
  PRIORITY_NORMAL: { text: "普通", color: "default" },
  PRIORITY_HIGH: { text: "紧急", color: "orange" },
  PRIORITY_URGENT: { text: "特急", color: "red" },
};

export const partStateLabel: Record<string, string> = {
  PART_STATE_UNSPECIFIED: "—",
  PART_STATE_DISPATCHED: "待签收",
  PART_STATE_CLAIMED: "办理中",
  PART_STATE_DONE: "已完成",
};

export const clockLabel = (clock?: string): string => {
  if (!clock) return "—";
  if (clock === "promised") return "承诺时限";
  if (clock === "statutory") return "法定时限";
  if (clock === "response") return "响应时限";
  if (clock === "close") return "办结时限";
  if (clock === "rectification") return "整改时限";
  if (clock === "explain") return "说明时限";
  if (clock.startsWith("step/")) return `第 ${Number(clock.slice(5)) + 1} 环节时限`;
  return clock;
};

// The default 诉求 categories' names (a tenant may add its own: shown by key).
export const categoryLabel: Record<string, string> = {
  general: "综合诉求",
  enterprise: "涉企诉求",
  market: "市场监管",
  environment: "生态环境",
  construction: "城乡建设",
  consultation: "政策咨询",
  suggestion: "建言献策",
};
