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
