// 工作日历: one year of the platform's official working-day calendar, which every
// service counts its deadlines (N 个工作日) with, as twelve month grids: holidays and
// adjusted working days (调休上班) marked and named. Read-only: a year's schedule is
// loaded by the administrator's command line, never from the browser.
import { Alert, Button, Card, Col, Form, Row, Select, Space, Tag, Typography } from "antd";
import { useEffect, useMemo, useState } from "react";
import { ErrorAlert } from "../../shared/feedback";
import { useCalendar, type CalendarDay } from "./api";

const weekdays = ["一", "二", "三", "四", "五", "六", "日"];

// How each kind of day looks and reads; the mark is text, so colour is never the only sign.
const kinds: Record<string, { label: string; mark?: string; style: React.CSSProperties }> = {
  DAY_KIND_WORKING: { label: "工作日", style: {} },
  DAY_KIND_WEEKEND: { label: "周末", style: { color: "#595959", background: "#f5f5f5" } },
  DAY_KIND_HOLIDAY: { label: "节假日", mark: "休", style: { color: "#a8071a", background: "#fff1f0", fontWeight: 600 } },
  DAY_KIND_ADJUSTED_WORKING: { label: "调休上班", mark: "班", style: { color: "#873800", background: "#fff7e6", fontWeight: 600 } },
};

const cell: React.CSSProperties = { textAlign: "center", padding: "2px 0", width: "14.28%", borderRadius: 4, lineHeight: "20px" };

function Month({ year, month, days }: { year: number; month: number; days: CalendarDay[] }) {
  // Weeks start on Monday, as Chinese calendars do.
  const lead = (new Date(year, month - 1, 1).getDay() + 6) % 7;
  const slots: (CalendarDay | undefined)[] = [...Array(lead).fill(undefined), ...days];
  while (slots.length % 7 !== 0) slots.push(undefined);
  const weeks = Array.from({ length: slots.length / 7 }, (_, i) => slots.slice(i * 7, i * 7 + 7));
  const caption = `${year}年${month}月`;
  return (
    <table data-testid={`month-${month}`} style={{ width: "100%", borderCollapse: "separate", borderSpacing: 2 }}>
      <caption style={{ captionSide: "top", textAlign: "left", fontWeight: 600, paddingBottom: 4 }}>{caption}</caption>
      <thead>
        <tr>
          {weekdays.map((w) => (
            <th key={w} scope="col" style={{ fontWeight: 400, color: "#595959" }}>
              <abbr title={`星期${w}`} style={{ textDecoration: "none" }}>
                {w}
              </abbr>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {weeks.map((week, i) => (
          <tr key={i}>
            {week.map((d, j) => {
              if (!d) return <td key={j} />;
              const k = kinds[d.kind ?? ""] ?? kinds.DAY_KIND_WORKING;
              const day = Number(d.date?.slice(8));
              const what = [k.label, d.holiday].filter(Boolean).join("·");
              return (
                <td key={j} data-date={d.date} data-kind={d.kind} title={`${d.date} ${what}`} style={{ ...cell, ...k.style }}>
                  {day}
                  {k.mark && (
                    <sup aria-hidden="true" style={{ fontSize: 10, marginLeft: 1 }}>
                      {k.mark}
                    </sup>
                  )}
                  {k.mark && <span style={srOnly}>{`（${what}）`}</span>}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const srOnly: React.CSSProperties = {
  position: "absolute",
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: "hidden",
  clip: "rect(0, 0, 0, 0)",
  whiteSpace: "nowrap",
  border: 0,
};

// holidays lists each holiday with its days off and adjusted working days, in order.
function holidays(days: CalendarDay[]) {
  const out = new Map<string, { off: string[]; work: string[] }>();
  for (const d of days) {
    if (!d.holiday) continue;
    const h = out.get(d.holiday) ?? { off: [], work: [] };
    (d.kind === "DAY_KIND_HOLIDAY" ? h.off : h.work).push(d.date ?? "");
    out.set(d.holiday, h);
  }
  return [...out.entries()];
}

const md = (date: string) => `${Number(date.slice(5, 7))}月${Number(date.slice(8))}日`;

export default function CalendarPage() {
  const thisYear = new Date().getFullYear();
  // ?year=2026 opens that year, so a year can be linked to.
  const [year, setYear] = useState(() => Number(new URLSearchParams(window.location.search).get("year")) || thisYear);
  const q = useCalendar(year);
  const [loaded, setLoaded] = useState<number[]>([]);
  useEffect(() => {
    if (q.data?.loadedYears) setLoaded(q.data.loadedYears);
  }, [q.data]);
  const years = useMemo(() => [...new Set([...loaded, thisYear - 1, thisYear, thisYear + 1, year])].sort((a, b) => a - b), [loaded, thisYear, year]);
  const days = q.data?.days ?? [];
  const months = Array.from({ length: 12 }, (_, i) => days.filter((d) => Number(d.date?.slice(5, 7)) === i + 1));
  return (
    <Space direction="vertical" size={16} style={{ width: "100%" }}>
      <Card title="工作日历">
        <Space direction="vertical" style={{ width: "100%" }}>
          <Form layout="inline" name="calendarYear">
            <Form.Item label="年份" htmlFor="calendar_year">
              <Select
                id="calendar_year"
                aria-label="年份"
                value={year}
                style={{ minWidth: 120 }}
                onChange={(v: number) => setYear(v)}
                options={years.map((y) => ({ value: y, label: `${y} 年${loaded.includes(y) ? "" : "（未加载）"}` }))}
              />
            </Form.Item>
            <Form.Item>
              <Space>
                <Button onClick={() => setYear(year - 1)}>上一年</Button>
                <Button onClick={() => setYear(year + 1)}>下一年</Button>
              </Space>
            </Form.Item>
          </Form>
          <Typography.Paragraph type="secondary" style={{ margin: 0 }}>
            各服务按此日历计算“N 个工作日”的办理时限：周末休息，法定节假日放假，调休的周末上班。日历只读；加载或更正某年的节假日安排请由平台管理员在服务器上执行
            <Typography.Text code>gaoxing calendar load</Typography.Text>。未加载的年份按周末推算，相关时限标为“暂定”。
          </Typography.Paragraph>
          <Space wrap>
            <Typography.Text>图例：</Typography.Text>
            <Tag color="red">休 节假日</Tag>
            <Tag color="orange">班 调休上班</Tag>
            <Tag>周末</Tag>
            <Typography.Text type="secondary">已加载：{loaded.length ? loaded.map((y) => `${y} 年`).join("、") : "—"}</Typography.Text>
          </Space>
        </Space>
      </Card>
      {q.error ? (
        <ErrorAlert error={q.error} />
      ) : (
        <>
          {q.data?.sourceTitle && (
            <Alert
              type="info"
              showIcon
              title={`依据：${q.data.sourceTitle}${q.data.sourceNumber ? `（${q.data.sourceNumber}）` : ""}`}
              description={
                <ul data-testid="calendar-holidays" style={{ margin: 0, paddingLeft: 20 }}>
                  {holidays(days).map(([name, h]) => (
                    <li key={name}>
                      {name}：{h.off.length ? `${md(h.off[0])}至${md(h.off[h.off.length - 1])}放假，共 ${h.off.length} 天` : ""}
                      {h.work.length ? `；${h.work.map(md).join("、")}上班` : ""}
                    </li>
                  ))}
                </ul>
              }
            />
          )}
          <Row gutter={[16, 16]}>
            {months.map((m, i) => (
              <Col key={i} xs={24} sm={12} lg={8} xxl={6}>
                <Card size="small" loading={q.isLoading}>
                  <Month year={year} month={i + 1} days={m} />
                </Card>
              </Col>
            ))}
          </Row>
        </>
      )}
    </Space>
  );
}
