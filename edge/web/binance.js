// A small client of the exchange's public API, as any Binance client uses it: REST under
// /api/v3 (signed requests: HMAC-SHA256 of the exact query string), spotex's own /api/v1 for
// accounts, and WebSocket streams. The web UI (app.js) is built on it and nothing else, so
// it shows what the API alone lets a trader do. No DOM here: tests run it under Node.

export class ApiError extends Error {
  constructor(status, code, msg) {
    super(msg);
    this.status = status;
    this.code = code;
  }
}

export function encode(params) {
  // insertion order, as sent: the signature covers these exact bytes
  return new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== ""),
  ).toString();
}

export async function sign(secret, payload) {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(payload)));
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class Exchange {
  constructor(base = "") {
    this.base = base; // "" = the origin the page came from
    this.session = null; // {token, userId}: spotex's /api/v1 (JWT)
    this.key = null; // {apiKey, secretKey}: Binance's signed endpoints
  }

  // query: params, or a string already encoded (a signed payload)
  async request(method, path, { query = {}, body = null, headers = {} } = {}) {
    const qs = typeof query === "string" ? query : encode(query);
    const init = { method, headers: { ...headers } };
    if (body !== null) {
      init.body = body;
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    const response = await fetch(this.base + path + (qs ? "?" + qs : ""), init);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      throw new ApiError(response.status, data?.code ?? -1000, data?.msg ?? response.statusText);
    }
    return data;
  }

  // -- public market data ------------------------------------------------------------------
  exchangeInfo() { return this.request("GET", "/api/v3/exchangeInfo"); }
  tickers() { return this.request("GET", "/api/v3/ticker/24hr"); }
  depth(symbol, limit = 20) { return this.request("GET", "/api/v3/depth", { query: { symbol, limit } }); }
  trades(symbol, limit = 30) { return this.request("GET", "/api/v3/trades", { query: { symbol, limit } }); }
  klines(symbol, interval = "1m", limit = 120) {
    return this.request("GET", "/api/v3/klines", { query: { symbol, interval, limit } });
  }

  // -- accounts (spotex's /api/v1) ----------------------------------------------------------
  register(email, password) {
    return this.request("POST", "/api/v1/register", { body: encode({ email, password }) });
  }

  async login(email, password) {
    const reply = await this.request("POST", "/api/v1/login", { body: encode({ email, password }) });
    this.session = { token: reply.accessToken, userId: reply.userId, expiresAt: reply.expiresAt };
    return this.session;
  }

  withSession(method, path, params = {}) {
    const headers = { Authorization: "Bearer " + this.session.token };
    const asBody = method === "POST" || method === "PUT";
    return this.request(method, path, {
      query: asBody ? {} : params, body: asBody ? encode(params) : null, headers,
    });
  }

  async createApiKey(label) {
    const reply = await this.withSession("POST", "/api/v1/apiKey", { label });
    this.key = { apiKey: reply.key.apiKey, secretKey: reply.secretKey };
    return this.key;
  }

  async apiKeys() { return (await this.withSession("GET", "/api/v1/apiKeys")).keys ?? []; }
  revokeApiKey(apiKey) { return this.withSession("DELETE", "/api/v1/apiKey", { apiKey }); }
  faucet(asset, amount) { return this.withSession("POST", "/api/v1/faucet", { asset, amount }); }

  // -- Binance's signed endpoints ------------------------------------------------------------
  async signed(method, path, params = {}) {
    const payload = encode({ ...params, timestamp: Date.now(), recvWindow: 10000 });
    const signature = await sign(this.key.secretKey, payload);
    const signedPayload = payload + "&signature=" + signature;
    const headers = { "X-MBX-APIKEY": this.key.apiKey };
    const sent = method === "POST" ? { body: signedPayload } : { query: signedPayload };
    return this.request(method, path, { ...sent, headers });
  }

  account() { return this.signed("GET", "/api/v3/account", { omitZeroBalances: "true" }); }
  openOrders(symbol) { return this.signed("GET", "/api/v3/openOrders", { symbol }); }
  placeOrder(order) { return this.signed("POST", "/api/v3/order", { ...order, newOrderRespType: "FULL" }); }
  cancelOrder(symbol, orderId) { return this.signed("DELETE", "/api/v3/order", { symbol, orderId }); }

  async listenKey() {
    const headers = { "X-MBX-APIKEY": this.key.apiKey };
    return (await this.request("POST", "/api/v3/userDataStream", { headers })).listenKey;
  }

  keepAlive(listenKey) {
    const headers = { "X-MBX-APIKEY": this.key.apiKey };
    return this.request("PUT", "/api/v3/userDataStream", { body: encode({ listenKey }), headers });
  }

  // -- WebSocket ---------------------------------------------------------------------------
  wsUrl(path) {
    const origin = this.base || globalThis.location.origin;
    return origin.replace(/^http/, "ws") + path;
  }

  combinedStreams(streams) { return this.wsUrl("/stream?streams=" + streams.join("/")); }
}

// Binance's decimal strings, shown without the trailing zeros of its fixed 8 places.
export function trimZeros(text) {
  if (typeof text !== "string" || !text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

// How many decimals a filter step (tickSize "0.01000000") allows.
export function decimalsOf(step) {
  const trimmed = trimZeros(step);
  const dot = trimmed.indexOf(".");
  return dot < 0 ? 0 : trimmed.length - dot - 1;
}

// A Binance decimal string with exactly `decimals` places, for columns that line up. The
// exchange's values lie on the symbol's grid, so cutting the extra zeros loses nothing.
export function fixed(text, decimals) {
  if (typeof text !== "string") return text;
  const [whole, fraction = ""] = text.split(".");
  return decimals > 0 ? `${whole}.${fraction.padEnd(decimals, "0").slice(0, decimals)}` : whole;
}

// A number as a trader types it ("0.5", ".5", "90000."), as the exchange takes it ("0.5",
// "0.5", "90000"); null for anything else ("1e5", "0,5", "-1", ""). The exchange's decimals
// are plain digits with one optional dot, and its -1100 answer to others reads as a regex.
export function plainDecimal(text) {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(String(text ?? "").trim());
  if (!match || !(match[1] || match[2])) return null;
  return (match[1] || "0") + (match[2] ? "." + match[2] : "");
}

const PARAM_NAMES = { quantity: "Amount", price: "Price", amount: "Amount", stopPrice: "Stop price" };

// What a refused order means, in words a trader can act on: Binance's -1013 names only the
// filter, whose numbers are in exchangeInfo (`filters`: the symbol's filter objects by type).
export function explainRefusal(error, filters = {}) {
  const message = error?.msg ?? error?.message ?? "";
  const illegal = /parameter '(\w+)'; legal range is '(.*)'\.$/.exec(message);
  if (illegal) {
    const [, param, range] = illegal;
    const name = PARAM_NAMES[param] ?? param;
    return range.startsWith("^") ? `${name} must be a plain decimal number, such as 0.5.` : `${name}: ${range}.`;
  }
  if (error?.code === -2010 && /insufficient balance/.test(message)) {
    return "Not enough available funds for this order (what open orders hold is not available).";
  }
  const failure = /Filter failure: (\w+)/.exec(message);
  const f = (type, key) => trimZeros(filters[type]?.[key] ?? "");
  switch (failure?.[1]) {
    case "PRICE_FILTER":
      return `Price must be a multiple of ${f("PRICE_FILTER", "tickSize")}, from ${f("PRICE_FILTER", "minPrice")}`
        + ` to ${f("PRICE_FILTER", "maxPrice")}.`;
    case "LOT_SIZE":
    case "MARKET_LOT_SIZE":
      return `Amount must be a multiple of ${f("LOT_SIZE", "stepSize")}, from ${f("LOT_SIZE", "minQty")}`
        + ` to ${f("LOT_SIZE", "maxQty")}.`;
    case "NOTIONAL":
    case "MIN_NOTIONAL": {
      // one code for both ends: say both, where the symbol has a maximum
      const least = f("NOTIONAL", "minNotional") || f("MIN_NOTIONAL", "minNotional");
      const most = f("NOTIONAL", "maxNotional");
      return most ? `Order value (price × amount) must be from ${least} to ${most}.`
        : `Order value (price × amount) must be at least ${least}.`;
    }
    case "PERCENT_PRICE_BY_SIDE":
    case "PERCENT_PRICE":
      return "Price is too far from the market's average price.";
    case "MAX_NUM_ORDERS":
      return "Too many open orders on this market: cancel some first.";
    default:
      return null;
  }
}

// What became of an order just placed (a FULL reply), in words: a market order that ran out of
// book or of funds part way ends EXPIRED with what it did buy, which is what the trader needs.
export function describeOrder(placed, base, quote, priceDecimals = 8) {
  const pair = `${base}/${quote}`;
  const executed = Number(placed.executedQty);
  const spent = trimZeros(placed.cummulativeQuoteQty);
  const didWhat = placed.side === "BUY" ? "Bought" : "Sold";
  const ofWhat = placed.status === "FILLED" || Number(placed.origQty) === 0
    ? trimZeros(placed.executedQty) : `${trimZeros(placed.executedQty)} of ${trimZeros(placed.origQty)}`;
  const done = executed
    ? `${didWhat} ${ofWhat} ${base} for ${spent} ${quote}` // avg price: cummulativeQuoteQty / executedQty
      + ` (average price ${trimZeros((Number(placed.cummulativeQuoteQty) / executed).toFixed(priceDecimals))})` : "";
  switch (placed.status) {
    case "FILLED":
      return done + ".";
    case "PARTIALLY_FILLED":
      return `${done}; the rest is on the book.`;
    case "NEW":
      return `Order placed: ${placed.side} ${trimZeros(placed.origQty)} ${pair}`
        + (placed.type === "MARKET" ? "." : ` at ${trimZeros(placed.price)}, on the book.`);
    case "EXPIRED_IN_MATCH":
      return (done ? `${done}; the rest` : `${placed.side} ${pair}`) + " was stopped: it would have traded with your own order.";
    case "EXPIRED":
      return done ? `${done}; the rest expired (not enough on the book, or not enough funds).`
        : `${placed.side} ${trimZeros(placed.origQty)} ${pair} expired: nothing on the book to match it.`;
    default:
      return `${placed.side} ${trimZeros(placed.origQty)} ${pair}: ${placed.status}.`;
  }
}

// The open orders of an account, kept by its user data stream: a snapshot from GET
// openOrders, then each executionReport adds, updates or removes one (as Binance's UI does,
// instead of asking the REST API again on every event).
const FINAL = new Set(["FILLED", "CANCELED", "EXPIRED", "REJECTED", "EXPIRED_IN_MATCH"]);

export class OpenOrders {
  constructor() { this.orders = new Map(); } // orderId -> {symbol, orderId, side, type, price, origQty, executedQty}

  reset(orders) {
    this.orders = new Map(orders.map((o) => [o.orderId, {
      symbol: o.symbol, orderId: o.orderId, side: o.side, type: o.type,
      price: o.price, origQty: o.origQty, executedQty: o.executedQty,
    }]));
  }

  apply(report) { // an executionReport; true if the list changed
    if (FINAL.has(report.X)) return this.orders.delete(report.i);
    if (report.x === "REJECTED") return false;
    this.orders.set(report.i, {
      symbol: report.s, orderId: report.i, side: report.S, type: report.o,
      price: report.p, origQty: report.q, executedQty: report.z,
    });
    return true;
  }

  list() { return [...this.orders.values()].sort((a, b) => b.orderId - a.orderId); } // newest first
}
