// Chart draws an ECharts option. ECharts (about 300 KB gzipped with the parts used here)
// is loaded the first time a chart is shown, never with the first page; the chart
// follows its box's size (a tablet turned, the side menu folded).
import { Skeleton } from "antd";
import { useEffect, useRef, useState } from "react";
import type { EChartsCoreOption } from "echarts/core";

type ECharts = typeof import("./echarts");

let loading: Promise<ECharts> | undefined;
const loadECharts = () => (loading ??= import("./echarts"));

export function Chart({ option, height = 280, label }: { option: EChartsCoreOption; height?: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let dispose = () => {};
    let cancelled = false;
    void loadECharts().then(({ echarts }) => {
      if (cancelled || !box.current) return;
      const chart = echarts.init(box.current, undefined, { renderer: "canvas", locale: "ZH" });
      chart.setOption(option);
      const resize = new ResizeObserver(() => chart.resize());
      resize.observe(box.current);
      setReady(true);
      dispose = () => {
        resize.disconnect();
        chart.dispose();
      };
    });
    return () => {
      cancelled = true;
      dispose();
    };
  }, [option]);
  return (
    <div role="img" aria-label={label} style={{ position: "relative", height }}>
      {!ready && <Skeleton active />}
      <div ref={box} style={{ position: "absolute", inset: 0 }} />
    </div>
  );
}
