// Start-up: read where the OpenID Provider is, finish or start the sign-in, then render.
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { callbackPath, completeSignIn, configure, currentUser, profileOf, signIn, type ConsoleConfig } from "./app/auth";
import "./shared/global.css";

const root = createRoot(document.getElementById("root")!);

function fatal(text: string, code: string) {
  // Before antd is loaded: plain, readable, and with the code to quote.
  const box = document.createElement("div");
  box.setAttribute("role", "alert");
  box.className = "boot-error";
  const h = document.createElement("h1");
  h.textContent = "无法进入工作台";
  const p = document.createElement("p");
  p.textContent = `${text}（错误码 ${code}）`;
  const a = document.createElement("a");
  a.href = "/";
  a.textContent = "重新登录";
  box.append(h, p, a);
  document.getElementById("root")!.replaceChildren(box);
}

async function boot() {
  const resp = await fetch("/config.json");
  if (!resp.ok) return fatal("读取工作台配置失败", `HTTP_${resp.status}`);
  configure((await resp.json()) as ConsoleConfig);

  if (window.location.pathname === callbackPath) {
    try {
      const to = await completeSignIn();
      window.history.replaceState(null, "", to);
    } catch (err) {
      return fatal(`登录未完成：${err instanceof Error ? err.message : String(err)}`, "SIGN_IN_FAILED");
    }
  }
  const user = await currentUser();
  if (!user) return signIn();
  root.render(
    <StrictMode>
      <App profile={profileOf(user)} />
    </StrictMode>,
  );
}

boot().catch((err) => fatal(err instanceof Error ? err.message : String(err), "BOOT_FAILED"));
