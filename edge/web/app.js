// The web UI: markets with live prices, one market's book, trades and candles, and for a
// signed-in trader an order form, the wallet and open orders, kept live by the user data
// stream. Everything goes through the public API (binance.js), as any other client's would.

import { ApiError, Exchange, decimalsOf, trimZeros } from "./binance.js";

const exchange = new Exchange();
const $ = (id) => document.getElementById(id);
const STORAGE = "spotex.session";
const BOOK_ROWS = 12;
const TRADE_ROWS = 30;

const state = {
  symbols: new Map(), // name -> {base, quote, priceDecimals, qtyDecimals}
  tickers: new Map(), // name -> {last, open, high, low, volume}
  selected: null,
  trades: [],
  candles: [], // [openTime, open, high, low, close]
  wallet: new Map(), // asset -> {free, locked}
  market: null, // the market data WebSocket
  user: null, // the user data stream WebSocket
  userTimer: null,
  noFaucet: false, // the edge is not in dev mode
};

// -- notices -----------------------------------------------------------------------------

function notify(text, isError = false) {
  const notice = $("notice");
  notice.textContent = text;
  notice.className = isError ? "error" : "";
  notice.hidden = false;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { notice.hidden = true; }, 6000);
}

function failed(error) {
  notify(error instanceof ApiError ? `${error.msg ?? error.message} (${error.code})` : String(error), true);
}

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function row(...cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function changeClass(percent) {
  return percent > 0 ? "num up" : percent < 0 ? "num down" : "num";
}

// -- markets -----------------------------------------------------------------------------

function percent(ticker) {
  const open = Number(ticker.open);
  return open ? ((Number(ticker.last) - open) / open) * 100 : 0;
}

function renderMarkets() {
  const rows = [];
  for (const [name, info] of state.symbols) {
    const ticker = state.tickers.get(name);
    const change = ticker ? percent(ticker) : 0;
    const tr = row(
      cell(`${info.base}/${info.quote}`),
      cell(ticker ? trimZeros(ticker.last) : "–", "num"),
      cell(ticker ? `${change.toFixed(2)}%` : "–", changeClass(change)),
    );
    tr.dataset.symbol = name;
    if (name === state.selected) tr.className = "selected";
    tr.addEventListener("click", () => select(name));
    rows.push(tr);
  }
  $("market-rows").replaceChildren(...rows);
  renderHead();
}

function renderHead() {
  const ticker = state.tickers.get(state.selected);
  if (!ticker) return;
  const change = percent(ticker);
  $("symbol-last").textContent = trimZeros(ticker.last);
  $("symbol-change").textContent = `${change >= 0 ? "+" : ""}${change.toFixed(2)}%`;
  $("symbol-change").className = changeClass(change);
  $("symbol-high").textContent = trimZeros(ticker.high);
  $("symbol-low").textContent = trimZeros(ticker.low);
  $("symbol-volume").textContent = trimZeros(ticker.volume);
}

function takeTicker(t) {
  // a 24hrMiniTicker or 24hrTicker event, or a REST ticker/24hr entry
  const name = t.s ?? t.symbol;
  state.tickers.set(name, {
    last: t.c ?? t.lastPrice, open: t.o ?? t.openPrice, high: t.h ?? t.highPrice,
    low: t.l ?? t.lowPrice, volume: t.v ?? t.volume,
  });
}

// -- one market ----------------------------------------------------------------------------

function renderBook(book) {
  const info = state.symbols.get(state.selected);
  const level = ([price, qty], side) => {
    const tr = row(cell(trimZeros(price), `num ${side}`), cell(trimZeros(qty), "num"));
    tr.addEventListener("click", () => { $("price").value = trimZeros(price); });
    return tr;
  };
  const asks = book.asks.slice(0, BOOK_ROWS).reverse();
  const bids = book.bids.slice(0, BOOK_ROWS);
  $("asks").replaceChildren(...asks.map((l) => level(l, "down")));
  $("bids").replaceChildren(...bids.map((l) => level(l, "up")));
  const spread = asks.length && bids.length
    ? (Number(asks[asks.length - 1][0]) - Number(bids[0][0])).toFixed(info?.priceDecimals ?? 2) : "–";
  $("spread-cell").textContent = `spread ${spread}`;
}

function renderTrades() {
  $("trades").replaceChildren(...state.trades.map((t) => row(
    cell(trimZeros(t.price), t.buyerMaker ? "num down" : "num up"),
    cell(trimZeros(t.qty), "num"),
    cell(new Date(t.time).toLocaleTimeString(), "num muted"),
  )));
}

function takeTrade(t) {
  state.trades.unshift({ price: t.p, qty: t.q, time: t.T, buyerMaker: t.m });
  state.trades.length = Math.min(state.trades.length, TRADE_ROWS);
}

function takeKline(k) {
  const candle = [k.t, Number(k.o), Number(k.h), Number(k.l), Number(k.c)];
  const last = state.candles[state.candles.length - 1];
  if (last && last[0] === k.t) state.candles[state.candles.length - 1] = candle;
  else if (!last || k.t > last[0]) state.candles.push(candle);
  state.candles = state.candles.slice(-120);
}

function drawChart() {
  const canvas = $("chart");
  const width = (canvas.width = canvas.clientWidth * devicePixelRatio);
  const height = (canvas.height = 220 * devicePixelRatio);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  const candles = state.candles;
  if (!candles.length) return;
  const high = Math.max(...candles.map((c) => c[2]));
  const low = Math.min(...candles.map((c) => c[3]));
  const span = high - low || 1;
  const y = (price) => height - 10 - ((price - low) / span) * (height - 20);
  const step = width / Math.max(candles.length, 60); // a young market's few candles stay readable
  candles.forEach(([, open, hi, lo, close], i) => {
    const x = i * step + step / 2;
    ctx.strokeStyle = ctx.fillStyle = close >= open ? "#2ebd85" : "#f6465d";
    ctx.beginPath();
    ctx.moveTo(x, y(hi));
    ctx.lineTo(x, y(lo));
    ctx.stroke();
    const top = y(Math.max(open, close));
    ctx.fillRect(x - step * 0.35, top, step * 0.7, Math.max(1, y(Math.min(open, close)) - top));
  });
}

function streamsOf(symbol) {
  const s = symbol.toLowerCase();
  return [`${s}@depth20@100ms`, `${s}@trade`, `${s}@kline_1m`, `${s}@ticker`];
}

async function select(name) {
  const previous = state.selected;
  state.selected = name;
  const info = state.symbols.get(name);
  $("symbol-name").textContent = `${info.base}/${info.quote}`;
  $("base-asset").textContent = info.base;
  $("quote-asset").textContent = info.quote;
  document.title = `${name} · spotex`;
  renderMarkets();
  const socket = state.market;
  if (socket?.readyState === WebSocket.OPEN) {
    if (previous) socket.send(JSON.stringify({ method: "UNSUBSCRIBE", params: streamsOf(previous), id: Date.now() }));
    socket.send(JSON.stringify({ method: "SUBSCRIBE", params: streamsOf(name), id: Date.now() + 1 }));
  }
  try {
    const [book, trades, klines] = await Promise.all([
      exchange.depth(name), exchange.trades(name), exchange.klines(name),
    ]);
    if (state.selected !== name) return;
    renderBook(book);
    state.trades = trades.reverse().map((t) => ({ price: t.price, qty: t.qty, time: t.time, buyerMaker: t.isBuyerMaker }));
    renderTrades();
    state.candles = klines.map((k) => [k[0], Number(k[1]), Number(k[2]), Number(k[3]), Number(k[4])]);
    drawChart();
  } catch (error) {
    failed(error);
  }
  refreshOpenOrders();
}

// -- the market data stream ----------------------------------------------------------------

function connectMarket(attempt = 0) {
  const opened = state.selected;
  const streams = ["!miniTicker@arr", ...(opened ? streamsOf(opened) : [])];
  const socket = new WebSocket(exchange.combinedStreams(streams));
  state.market = socket;
  socket.onopen = () => {
    attempt = 0;
    $("connection").textContent = "live";
    $("connection").className = "up";
    if (state.selected !== opened) { // another market was chosen while connecting
      if (opened) socket.send(JSON.stringify({ method: "UNSUBSCRIBE", params: streamsOf(opened), id: Date.now() }));
      socket.send(JSON.stringify({ method: "SUBSCRIBE", params: streamsOf(state.selected), id: Date.now() + 1 }));
    }
  };
  socket.onmessage = (message) => {
    const { stream, data } = JSON.parse(message.data);
    if (!stream) return; // a SUBSCRIBE / UNSUBSCRIBE answer
    if (stream === "!miniTicker@arr") {
      data.forEach(takeTicker);
      renderMarkets();
      return;
    }
    if (!state.selected || !stream.startsWith(state.selected.toLowerCase() + "@")) return;
    if (stream.endsWith("@depth20@100ms")) renderBook(data);
    else if (data.e === "trade") { takeTrade(data); renderTrades(); }
    else if (data.e === "kline") { takeKline(data.k); drawChart(); }
    else if (data.e === "24hrTicker") { takeTicker(data); renderHead(); }
  };
  socket.onclose = () => {
    $("connection").textContent = "reconnecting…";
    $("connection").className = "down";
    setTimeout(() => connectMarket(attempt + 1), Math.min(5000, 250 * 2 ** attempt));
  };
}

// -- the trader ----------------------------------------------------------------------------

function renderWallet() {
  const rows = [...state.wallet].filter(([, b]) => Number(b.free) || Number(b.locked))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([asset, b]) => row(cell(asset), cell(trimZeros(b.free), "num"), cell(trimZeros(b.locked), "num")));
  $("wallet").replaceChildren(...(rows.length ? rows : [row(cell("No funds yet", "muted"))]));
}

async function refreshAccount() {
  const account = await exchange.account();
  state.wallet = new Map(account.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
  renderWallet();
}

async function refreshOpenOrders() {
  if (!exchange.key || !state.selected) {
    $("open-orders").replaceChildren();
    return;
  }
  try {
    const orders = await exchange.openOrders(state.selected);
    $("open-orders").replaceChildren(...orders.map((o) => {
      const cancel = document.createElement("button");
      cancel.textContent = "Cancel";
      cancel.addEventListener("click", () => exchange.cancelOrder(o.symbol, o.orderId).then(refreshOpenOrders, failed));
      const action = cell("", "num");
      action.append(cancel);
      return row(
        cell(o.side, o.side === "BUY" ? "up" : "down"), cell(trimZeros(o.price), "num"),
        cell(trimZeros(o.origQty), "num"), cell(trimZeros(o.executedQty), "num"), action,
      );
    }));
  } catch (error) {
    failed(error);
  }
}

function onUserEvent(event) {
  if (event.e === "outboundAccountPosition") {
    for (const b of event.B) state.wallet.set(b.a, { free: b.f, locked: b.l });
    renderWallet();
  } else if (event.e === "balanceUpdate") {
    notify(`${Number(event.d) > 0 ? "Deposit" : "Withdrawal"}: ${trimZeros(event.d)} ${event.a}`);
  } else if (event.e === "executionReport") {
    if (event.x === "TRADE") notify(`${event.S} ${trimZeros(event.l)} ${event.s} at ${trimZeros(event.L)}: ${event.X}`);
    if (event.s === state.selected) refreshOpenOrders();
  } else if (event.e === "listenKeyExpired") {
    startUserStream().catch(failed);
  }
}

async function startUserStream() {
  stopUserStream();
  const listenKey = await exchange.listenKey();
  const socket = new WebSocket(exchange.wsUrl("/ws/" + listenKey));
  state.user = socket;
  socket.onmessage = (message) => onUserEvent(JSON.parse(message.data));
  socket.onclose = () => {
    if (state.user === socket && exchange.key) setTimeout(() => startUserStream().catch(failed), 2000);
  };
  // Binance closes a listenKey after 60 minutes without a keepalive
  state.userTimer = setInterval(() => exchange.keepAlive(listenKey).catch(failed), 30 * 60 * 1000);
}

function stopUserStream() {
  const socket = state.user;
  state.user = null;
  socket?.close();
  clearInterval(state.userTimer);
}

function showSignedIn() {
  const signedIn = Boolean(exchange.key);
  $("auth-form").hidden = signedIn;
  $("signed-in").hidden = !signedIn;
  $("faucet-form").hidden = !signedIn || state.noFaucet;
  $("who").textContent = signedIn ? `user #${exchange.session.userId}` : "";
  $("place").textContent = signedIn ? "Place order" : "Log in to trade";
  if (!signedIn) {
    $("wallet").replaceChildren(row(cell("Log in to see your balances", "muted")));
    $("open-orders").replaceChildren();
  }
}

const UI_KEY_LABEL = "web-ui";

async function signIn(email, password) {
  await exchange.login(email, password);
  // The signed endpoints take an API key: the UI makes its own for this session, and revokes
  // those of earlier sessions (a closed tab cannot revoke its own).
  const earlier = (await exchange.apiKeys()).filter((k) => k.label === UI_KEY_LABEL);
  await Promise.all(earlier.map((k) => exchange.revokeApiKey(k.apiKey)));
  await exchange.createApiKey(UI_KEY_LABEL);
  sessionStorage.setItem(STORAGE, JSON.stringify({ session: exchange.session, key: exchange.key }));
  await begin();
}

async function begin() {
  showSignedIn();
  await Promise.all([refreshAccount(), refreshOpenOrders(), startUserStream()]);
}

async function signOut() {
  stopUserStream();
  const key = exchange.key;
  exchange.key = null;
  sessionStorage.removeItem(STORAGE);
  showSignedIn();
  if (key && exchange.session) await exchange.revokeApiKey(key.apiKey).catch(() => {});
  exchange.session = null;
}

function restore() {
  const saved = JSON.parse(sessionStorage.getItem(STORAGE) ?? "null");
  if (saved && saved.session.expiresAt < Date.now()) sessionStorage.removeItem(STORAGE);
  if (!saved || saved.session.expiresAt < Date.now()) return;
  exchange.session = saved.session;
  exchange.key = saved.key;
  begin().catch((error) => {
    failed(error);
    signOut();
  });
}

// -- forms -------------------------------------------------------------------------------

function wireForms() {
  $("auth-form").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("email").value, $("password").value).catch(failed);
  });
  $("register").addEventListener("click", async () => {
    const form = $("auth-form");
    if (!form.reportValidity()) return;
    try {
      await exchange.register($("email").value, $("password").value);
      await signIn($("email").value, $("password").value);
      notify("Welcome! Get test funds below to start trading.");
    } catch (error) {
      failed(error);
    }
  });
  $("logout").addEventListener("click", () => signOut());
  $("order-type").addEventListener("change", () => {
    $("price-row").hidden = $("order-type").value === "MARKET";
  });
  $("order-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!exchange.key) {
      $("email").focus();
      return;
    }
    const type = $("order-type").value;
    const order = {
      symbol: state.selected,
      side: new FormData($("order-form")).get("side"),
      type,
      timeInForce: type === "LIMIT" ? "GTC" : undefined,
      quantity: $("quantity").value.trim(),
      price: type === "LIMIT" ? $("price").value.trim() : undefined,
    };
    try {
      const placed = await exchange.placeOrder(order);
      notify(`${placed.side} ${trimZeros(placed.origQty)} ${placed.symbol}: ${placed.status}`);
      refreshOpenOrders();
    } catch (error) {
      failed(error);
    }
  });
  $("faucet-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await exchange.faucet($("faucet-asset").value, $("faucet-amount").value.trim());
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        state.noFaucet = true; // not in dev mode: there are no test funds here
        $("faucet-form").hidden = true;
      }
      failed(error);
    }
  });
}

// -- start -------------------------------------------------------------------------------

async function main() {
  wireForms();
  const [info, tickers] = await Promise.all([exchange.exchangeInfo(), exchange.tickers()]);
  const assets = new Set();
  for (const s of info.symbols.filter((s) => s.status === "TRADING")) {
    const filter = (type) => s.filters.find((f) => f.filterType === type) ?? {};
    state.symbols.set(s.symbol, {
      base: s.baseAsset, quote: s.quoteAsset,
      priceDecimals: decimalsOf(filter("PRICE_FILTER").tickSize ?? "0.01"),
      qtyDecimals: decimalsOf(filter("LOT_SIZE").stepSize ?? "0.001"),
    });
    assets.add(s.baseAsset).add(s.quoteAsset);
  }
  $("faucet-asset").replaceChildren(...[...assets].sort().map((a) => new Option(a, a, a === "USDT", a === "USDT")));
  tickers.forEach(takeTicker);
  const first = [...state.symbols.keys()][0];
  if (first) await select(first);
  connectMarket();
  restore();
  window.addEventListener("resize", drawChart);
}

main().catch(failed);
