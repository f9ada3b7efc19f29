// Typed clients of the services, one per service, generated from their OpenAPI documents
// (src/api/gen, `npm run gen:api`). Every call carries the signed-in user's access token;
// every failure becomes an ApiError with the service's stable code.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { paths as ConsolePaths } from "./gen/console";
import type { paths as DocumentsPaths } from "./gen/documents";
import type { paths as IdentityPaths } from "./gen/identity";
import type { paths as LegalaidPaths } from "./gen/legalaid";
import type { paths as MattersPaths } from "./gen/matters";
import type { paths as StewardshipPaths } from "./gen/stewardship";
import type { paths as TicketsPaths } from "./gen/tickets";
import { ApiError, fromResponse, networkError } from "./errors";

type TokenSource = () => Promise<string | undefined>;
type Unauthorized = (err: ApiError) => void;

let token: TokenSource = async () => undefined;
let onUnauthorized: Unauthorized = () => {};

// connect tells the clients where tokens come from and what to do when one is refused.
export function connect(source: TokenSource, unauthorized: Unauthorized) {
  token = source;
  onUnauthorized = unauthorized;
}

export async function accessToken(): Promise<string | undefined> {
  return token();
}

const auth: Middleware = {
  async onRequest({ request }) {
    const t = await token();
    if (t) request.headers.set("Authorization", `Bearer ${t}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.ok) return response;
    let body: unknown;
    try {
      body = await response.clone().json();
    } catch {
      body = undefined;
    }
    const err = fromResponse(response.status, body);
    if (response.status === 401) onUnauthorized(err);
    throw err;
  },
  onError({ error }) {
    if (error instanceof ApiError) return error;
    return networkError(error);
  },
};

function client<Paths extends {}>(service: string): Client<Paths> {
  const c = createClient<Paths>({ baseUrl: `/api/${service}` });
  c.use(auth);
  return c;
}

export const identity = client<IdentityPaths>("identity");
export const documents = client<DocumentsPaths>("documents");
export const matters = client<MattersPaths>("matters");
export const tickets = client<TicketsPaths>("tickets");
export const legalaid = client<LegalaidPaths>("legalaid");
export const stewardship = client<StewardshipPaths>("stewardship");
// The console's own routes: the ops pages' traces, metrics and alerts.
export const consoleApi = client<ConsolePaths>("console");

// data returns a call's body; the middleware has already thrown on any failure.
export async function data<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data: body, error, response } = await call;
  if (error !== undefined) throw fromResponse(response.status, error);
  return body as T;
}

// split turns a resource name (tenants/ahz.s01.c01/applications/M-1) into its path parts.
export function split(name: string): { tenant: string; id: string } {
  const parts = name.split("/");
  return { tenant: parts[1] ?? "", id: parts[3] ?? "" };
}
