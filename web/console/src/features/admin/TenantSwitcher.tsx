// TenantSwitcher is the header's choice of the tenant the pages work in: the caller's home
// tenant (from its token) and what identity's tree shows below it, nothing else. A
// person who may not read the tree (a window clerk) sees the home tenant alone.
import { Tag, TreeSelect } from "antd";
import { useMemo } from "react";
import { useSession } from "../../app/session";
import { tenantId, useTenantTree, type Tenant } from "./api";

interface Node {
  value: string;
  title: string;
  label: string; // what the closed switcher shows: the id
  children: Node[];
}

export default function TenantSwitcher() {
  const { profile, tenant, setTenant } = useSession();
  const q = useTenantTree(profile.tenant);
  const tree = useMemo(() => {
    const all = q.data?.tenants ?? [];
    const kids = new Map<string, Tenant[]>();
    for (const t of all) kids.set(tenantId(t.parent), [...(kids.get(tenantId(t.parent)) ?? []), t]);
    const node = (t: Tenant): Node => {
      const id = tenantId(t.name);
      return { value: id, label: id, title: `${t.displayName}（${id}）`, children: (kids.get(id) ?? []).sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")).map(node) };
    };
    const root = all.find((t) => tenantId(t.name) === profile.tenant);
    return root ? [node(root)] : [];
  }, [q.data, profile.tenant]);
  if (tree.length === 0 || (tree[0].children.length === 0 && tenant === profile.tenant))
    return (
      <Tag color="blue" aria-label={`当前单位 ${tenant}`}>
        {tenant}
      </Tag>
    );
  return (
    <TreeSelect
      aria-label="切换当前单位"
      data-testid="tenant-switcher"
      value={tenant}
      treeData={tree}
      treeDefaultExpandedKeys={[profile.tenant]}
      onChange={(v: string) => setTenant(v)}
      showSearch={{ treeNodeFilterProp: "title" }}
      popupMatchSelectWidth={320}
      style={{ minWidth: 200, maxWidth: 320 }}
      treeNodeLabelProp="label"
    />
  );
}
