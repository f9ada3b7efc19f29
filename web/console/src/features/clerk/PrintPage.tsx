// 受理回执 and 一次性告知单: the two papers a window hands the applicant, laid out for A4
// (the print stylesheet hides the console around them).
import { PrinterOutlined } from "@ant-design/icons";
import { Button, Skeleton, Space } from "antd";
import dayjs from "dayjs";
import { Link, useParams } from "react-router";
import { useSession } from "../../app/session";
import { ErrorAlert } from "../../shared/feedback";
import { appStateLabel } from "../../shared/labels";
import { formatTime } from "../../shared/time";
import { useApplication, useMatter } from "./api";
import "./print.css";

export default function PrintPage() {
  const { tenant = "", id = "", form = "receipt" } = useParams();
  const { profile } = useSession();
  const q = useApplication(tenant, id);
  const app = q.data;
  const matter = useMatter(app?.matter, app?.matterVersion);
  if (q.error) return <ErrorAlert error={q.error} />;
  if (!app || matter.isLoading) return <Skeleton active />;
  const m = matter.data;
  const notice = form === "notice";
  const missing = app.missingMaterials ?? [];
  const handedIn = app.materials ?? [];
  return (
    <>
      <Space className="no-print" style={{ marginBottom: 16 }}>
        <Link to={`/clerk/applications/${tenant}/${id}`}>
          <Button>返回办件</Button>
        </Link>
        <Button type="primary" icon={<PrinterOutlined />} onClick={() => window.print()}>
          打印
        </Button>
      </Space>
      <article className="paper" aria-label={notice ? "一次性告知单" : "受理回执"}>
        <h1>{notice ? "一次性告知单" : "受理回执"}</h1>
        <p className="paper-no">编号：{id}</p>
        <p>
          <b>{app.applicant?.name ?? "申请人"}</b>：
        </p>
        {notice ? (
          <>
            <p>
              您于 {formatTime(app.createTime)} 申请办理「{m?.title ?? app.matter}」。经审查，您提交的申请材料尚需补正，现一次性告知如下：
            </p>
            <ol>{(missing.length ? missing : ["（无）"]).map((x) => <li key={x}>{x}</li>)}</ol>
            {app.correctionNote && <p>补正说明：{app.correctionNote}</p>}
            <p>请按上述要求一次性补齐材料后重新提交。补正期间不计入办理时限。</p>
          </>
        ) : (
          <>
            <p>
              您申请办理的「{m?.title ?? app.matter}」已于 {formatTime(app.steps?.[0]?.startTime ?? app.updateTime)} 受理，当前状态：
              {appStateLabel[app.state ?? "STATE_UNSPECIFIED"].text}。
            </p>
            <p>
              承诺办结时间：{formatTime(app.promisedDueTime)}；法定办结时间：{formatTime(app.statutoryDueTime)}。
            </p>
            <p>已收材料：</p>
            <ol>{(handedIn.length ? handedIn : [{ name: "（无）" }]).map((x) => <li key={x.name}>{x.name}</li>)}</ol>
            {missing.length > 0 && <p>容缺材料（请于 {formatTime(app.commitmentDueTime)} 前补齐）：{missing.join("、")}</p>}
          </>
        )}
        <p>实施机关：{m?.implementingBody || m?.department || "—"}　办理单位：{tenant}</p>
        <div className="paper-sign">
          <p>经办人：{profile.name}</p>
          <p>日期：{dayjs().format("YYYY年M月D日")}</p>
          <p>（盖章）</p>
        </div>
      </article>
    </>
  );
}
