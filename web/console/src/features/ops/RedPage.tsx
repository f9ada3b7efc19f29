// 服务调用（RED）: rate, errors and duration per service, method and tenant — the chart's
// RED and per-tenant dashboards' own queries — each line linked to its traces.
import { Card, Typography } from "antd";
import { useMemo } from "react";
import { usePanelValues, windowSeconds } from "./api";
import { Filters, Needs, PanelGrid, useNarrowing } from "./parts";

export default function RedPage() {
  return (
    <Card title="服务调用（请求率、错误率、耗时）">
      <Needs store="prometheus">
        <Red />
      </Needs>
    </Card>
  );
}

function Red() {
  const [n] = useNarrowing();
  // The services and methods that have been called, from the calls counted.
  const known = usePanelValues("red.method_rate", {});
  const { services, methods } = useMemo(() => {
    const services = new Set<string>();
    const methods = new Set<string>();
    for (const r of known.data?.results ?? [])
      for (const s of r.result ?? []) {
        if (s.metric.service) services.add(s.metric.service);
        if (s.metric.service === n.service && s.metric.method) methods.add(s.metric.method);
      }
    return { services: [...services].sort(), methods: [...methods].sort() };
  }, [known.data, n.service]);
  return (
    <>
      <Typography.Paragraph type="secondary">
        每 30 秒刷新。选定服务后，每条曲线下的名称链接到这段时间内该服务（和方法、租户）的调用链路。
      </Typography.Paragraph>
      <Filters fields={["service", "method", "tenant"]} services={services} methods={methods} />
      <PanelGrid page="red" narrowing={n} seconds={windowSeconds(n.window)} />
    </>
  );
}
