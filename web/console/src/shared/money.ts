// Money as the services write it: yuan in a decimal string with at most two decimals,
// never a float. Sums are done in integer fen (BigInt) so that they reconcile to the
// cent, and the checks here are hints: the service decides.
const yuanPattern = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;

// isYuan says whether s is an amount the services accept.
export function isYuan(s: string): boolean {
  return yuanPattern.test(s.trim());
}

// toFen reads a yuan string as integer fen; undefined when it is not one.
export function toFen(s: string | undefined): bigint | undefined {
  const t = (s ?? "").trim();
  if (!yuanPattern.test(t)) return undefined;
  const [whole, frac = ""] = t.split(".");
  return BigInt(whole) * 100n + BigInt((frac + "00").slice(0, 2));
}

// fromFen writes integer fen as a yuan string with two decimals.
export function fromFen(f: bigint): string {
  const neg = f < 0n;
  const a = neg ? -f : f;
  return `${neg ? "-" : ""}${a / 100n}.${(a % 100n).toString().padStart(2, "0")}`;
}

// formatYuan shows a yuan string with thousands separators: ¥1,250,000.00.
export function formatYuan(s: string | undefined): string {
  const f = toFen(s);
  if (f === undefined) return s ? `¥${s}` : "—";
  const [whole, frac] = fromFen(f).split(".");
  return `¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${frac}`;
}

// yuanRule is the form rule of a money field.
export const yuanRule = {
  validator: (_: unknown, v?: string) =>
    !v || isYuan(v) ? Promise.resolve() : Promise.reject(new Error("金额应为元，最多两位小数，如 1250000.00（不使用科学计数或千分位）")),
};

// The unified social credit code (GB 32100): 18 characters of an alphabet without
// I, O, Z, S and V, the 3rd to 8th digits, the last a check character over the first 17.
const creditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// creditCodeProblem says what is wrong with a credit code, or "" when it checks.
export function creditCodeProblem(raw: string): string {
  const s = raw.trim().toUpperCase();
  if (s.length !== 18) return "应为 18 位";
  let sum = 0;
  let weight = 1;
  for (let i = 0; i < 18; i++) {
    const v = creditCharset.indexOf(s[i]);
    if (v < 0) return "含有不允许的字符（不使用 I、O、Z、S、V）";
    if (i >= 2 && i < 8 && (s[i] < "0" || s[i] > "9")) return "第 3 至 8 位应为行政区划码数字";
    if (i < 17) {
      sum += v * weight;
      weight = (weight * 3) % 31;
    }
  }
  if (s[17] !== creditCharset[(31 - (sum % 31)) % 31]) return "校验码不符，请核对";
  return "";
}

// creditCodeRule is the form rule of a credit-code field (a hint before the service's check).
export const creditCodeRule = {
  validator: (_: unknown, v?: string) => {
    if (!v) return Promise.resolve();
    const p = creditCodeProblem(v);
    return p ? Promise.reject(new Error(`统一社会信用代码不正确：${p}`)) : Promise.resolve();
  },
};
