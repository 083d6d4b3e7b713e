// The web UI: markets with live prices, one market's book, trades and candles, and for a
// signed-in trader an order form, the wallet and open orders, kept live by the user data
// stream. Everything goes through the public API (binance.js), as any other client's would.

import {
  ApiError, Exchange, OpenOrders, decimalsOf, describeOrder, explainRefusal, fixed, plainDecimal, trimZeros,
} from "./binance.js";

const exchange = new Exchange();
const $ = (id) => document.getElementById(id);
// localStorage, not sessionStorage: every tab of the page shares one signed-in session (and
// its API key), and hears through the "storage" event when another tab signs in or out.
const STORAGE = "spotex.session";
const MARKET = "spotex.market"; // the market last chosen, shown again on the next visit
const BOOK_ROWS = 12;
const TRADE_ROWS = 30;
const CLOCK = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };

const state = {
  symbols: new Map(), // name -> {base, quote, priceDecimals, qtyDecimals, filters}
  tickers: new Map(), // name -> {last, open, high, low, volume}
  selected: null,
  trades: [],
  candles: [], // [openTime, open, high, low, close]
  wallet: new Map(), // asset -> {free, locked}
  openOrders: new OpenOrders(), // of every market, kept by the user data stream
  ordersArriving: null, // executionReports held while an openOrders snapshot loads
  marketRows: new Map(), // name -> the market list's row, built once and updated in place
  market: null, // the market data WebSocket
  user: null, // the user data stream WebSocket
  userTimer: null,
  noFaucet: false, // the edge is not in dev mode
  placing: new Set(), // client ids of this tab's orders: their reply tells what they did, not each fill
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

function clearNotice() {
  clearTimeout(notify.timer);
  $("notice").hidden = true;
}

function failed(error) {
  if (!(error instanceof ApiError)) {
    notify(String(error), true);
    return;
  }
  if (error.code === -2015 && exchange.key) { // the key was revoked: a sign-in or sign-out elsewhere
    const dead = exchange.key.apiKey;
    adoptStoredSession(); // another tab of this browser may have a newer one
    if (exchange.key?.apiKey === dead) {
      localStorage.removeItem(STORAGE);
      leave();
      exchange.session = null;
    }
    notify(exchange.key ? "This tab moved to the session signed in elsewhere: please try again."
      : "You were signed out (this session's API key was revoked). Please log in again.", true);
    return;
  }
  const info = state.symbols.get(state.selected);
  notify(explainRefusal(error, info?.filters) ?? `${error.msg ?? error.message} (${error.code})`, true);
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

function signed(change) {
  return `${change > 0 ? "+" : ""}${change.toFixed(2)}%`;
}

// The rows are built once and their cells updated in place: rebuilding them on every ticker
// push (about once a second) lost clicks whose press and release landed on different rows.
function renderMarkets() {
  const body = $("market-rows");
  for (const [name, info] of state.symbols) {
    let tr = state.marketRows.get(name);
    if (!tr) {
      tr = row(cell(`${info.base}/${info.quote}`), cell("–", "num"), cell("–", "num"));
      tr.dataset.symbol = name;
      tr.tabIndex = 0;
      state.marketRows.set(name, tr);
      body.append(tr);
    }
    const ticker = state.tickers.get(name);
    const change = ticker ? percent(ticker) : 0;
    tr.cells[1].textContent = ticker ? fixed(ticker.last, info.priceDecimals) : "–";
    tr.cells[2].textContent = ticker ? signed(change) : "–";
    tr.cells[2].className = changeClass(change);
    tr.className = name === state.selected ? "selected" : "";
    tr.setAttribute("aria-selected", String(name === state.selected));
  }
  renderHead();
}

function renderHead() {
  const ticker = state.tickers.get(state.selected);
  const info = state.symbols.get(state.selected);
  if (!ticker || !info) return;
  const change = percent(ticker);
  $("symbol-last").textContent = fixed(ticker.last, info.priceDecimals);
  $("symbol-change").textContent = signed(change);
  $("symbol-change").className = changeClass(change);
  $("symbol-high").textContent = fixed(ticker.high, info.priceDecimals);
  $("symbol-low").textContent = fixed(ticker.low, info.priceDecimals);
  $("symbol-volume").textContent = fixed(ticker.volume, info.qtyDecimals);
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
    const tr = row(cell(fixed(price, info.priceDecimals), `num ${side}`), cell(fixed(qty, info.qtyDecimals), "num"));
    tr.dataset.price = trimZeros(price); // a click on the level takes its price (one listener on the book)
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
  const info = state.symbols.get(state.selected);
  $("trades").replaceChildren(...state.trades.map((t) => row(
    cell(fixed(t.price, info.priceDecimals), t.buyerMaker ? "num down" : "num up"),
    cell(fixed(t.qty, info.qtyDecimals), "num"),
    cell(new Date(t.time).toLocaleTimeString([], CLOCK), "num muted time"),
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
  const info = state.symbols.get(state.selected);
  const high = Math.max(...candles.map((c) => c[2]));
  const low = Math.min(...candles.map((c) => c[3]));
  const span = high - low || 1;
  const labels = 64 * devicePixelRatio; // the price scale on the right
  const y = (price) => height - 16 * devicePixelRatio - ((price - low) / span) * (height - 26 * devicePixelRatio);
  // by open time, so a minute without trades leaves its gap, the newest at the right edge; a
  // young market's few candles keep a readable width (at least 60 slots) and the axis's
  // left label is the time of the left edge, not of the first candle
  const MINUTE = 60_000;
  const last = candles[candles.length - 1][0];
  const slots = Math.max(60, (last - candles[0][0]) / MINUTE + 1);
  const step = (width - labels) / slots;
  const leftEdge = last - (slots - 1) * MINUTE;
  ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.fillStyle = "#8a93a0";
  ctx.textAlign = "right";
  for (const price of [high, (high + low) / 2, low]) {
    ctx.fillText(price.toFixed(info?.priceDecimals ?? 2), width - 2, y(price) + 4 * devicePixelRatio);
  }
  ctx.textAlign = "left";
  const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  ctx.fillText(time(leftEdge), 2, height - 3 * devicePixelRatio);
  ctx.textAlign = "right";
  ctx.fillText(time(last), width - labels, height - 3 * devicePixelRatio);
  candles.forEach(([openTime, open, hi, lo, close]) => {
    const x = ((openTime - leftEdge) / MINUTE) * step + step / 2;
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
  if (name === previous) return;
  state.selected = name;
  localStorage.setItem(MARKET, name);
  const info = state.symbols.get(name);
  $("symbol-name").textContent = `${info.base}/${info.quote}`;
  $("base-asset").textContent = info.base;
  $("quote-asset").textContent = info.quote;
  $("trade-pair").textContent = `${info.base}/${info.quote}`;
  // another market's price and amount would be another market's order
  $("price").value = "";
  $("quantity").value = "";
  document.title = `${name} · spotex`;
  renderMarkets();
  const socket = state.market;
  if (socket?.readyState === WebSocket.OPEN) {
    if (previous) socket.send(JSON.stringify({ method: "UNSUBSCRIBE", params: streamsOf(previous), id: Date.now() }));
    socket.send(JSON.stringify({ method: "SUBSCRIBE", params: streamsOf(name), id: Date.now() + 1 }));
  }
  await loadMarket(name);
}

// The selected market's book, trades and candles from REST: on choosing it, and after the
// market data stream reconnects (what happened while it was away is in no push).
async function loadMarket(name) {
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
}

// -- the market data stream ----------------------------------------------------------------

function connectMarket(attempt = 0) {
  const opened = state.selected;
  const streams = ["!miniTicker@arr", ...(opened ? streamsOf(opened) : [])];
  const socket = new WebSocket(exchange.combinedStreams(streams));
  state.market = socket;
  socket.onopen = () => {
    const reconnected = attempt > 0;
    attempt = 0;
    $("connection").textContent = "live";
    $("connection").className = "up";
    if (state.selected !== opened) { // another market was chosen while connecting
      if (opened) socket.send(JSON.stringify({ method: "UNSUBSCRIBE", params: streamsOf(opened), id: Date.now() }));
      socket.send(JSON.stringify({ method: "SUBSCRIBE", params: streamsOf(state.selected), id: Date.now() + 1 }));
    }
    if (reconnected && state.selected) {
      exchange.tickers().then((tickers) => { tickers.forEach(takeTicker); renderMarkets(); }, failed);
      loadMarket(state.selected);
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
  $("wallet").replaceChildren(...(rows.length ? rows : [placeholder("No funds yet", 3)]));
}

function placeholder(text, columns) {
  const td = cell(text, "muted");
  td.colSpan = columns;
  return row(td);
}

async function refreshAccount() {
  const account = await exchange.account();
  state.wallet = new Map(account.balances.map((b) => [b.asset, { free: b.free, locked: b.locked }]));
  renderWallet();
}

// Every market's open orders, once per sign-in and user stream (re)connect; executionReports
// keep the list between (GET openOrders without a symbol weighs 80 of the minute's 6,000).
async function refreshOpenOrders() {
  if (!exchange.key) {
    state.openOrders.reset([]);
    renderOpenOrders();
    return;
  }
  // executionReports that arrive while the snapshot is on its way are applied after it, or
  // the snapshot (older than they are) would undo them
  const arriving = (state.ordersArriving = []);
  try {
    const orders = await exchange.openOrders();
    if (state.ordersArriving !== arriving) return; // a later refresh took over
    state.openOrders.reset(orders);
    arriving.forEach((report) => state.openOrders.apply(report));
    renderOpenOrders();
  } catch (error) {
    failed(error);
  } finally {
    if (state.ordersArriving === arriving) state.ordersArriving = null;
  }
}

function renderOpenOrders() {
  if (!exchange.key) {
    $("open-orders").replaceChildren();
    return;
  }
  const orders = state.openOrders.list();
  $("open-orders").replaceChildren(...(orders.length ? orders.map((o) => {
    const info = state.symbols.get(o.symbol) ?? { base: o.symbol, quote: "", priceDecimals: 8, qtyDecimals: 8 };
    const cancel = document.createElement("button");
    cancel.textContent = "✕";
    cancel.className = "cancel";
    cancel.title = "Cancel order";
    cancel.setAttribute("aria-label", `Cancel ${o.side} ${o.symbol} order ${o.orderId}`);
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      try {
        const canceled = await exchange.cancelOrder(o.symbol, o.orderId);
        state.openOrders.apply({ X: canceled.status, i: o.orderId });
        renderOpenOrders();
        notify(`Canceled: ${o.side} ${trimZeros(o.origQty)} ${info.base}/${info.quote}`);
      } catch (error) {
        cancel.disabled = false;
        failed(error);
      }
    });
    const action = cell("", "num");
    action.append(cancel);
    return row(
      cell(`${info.base}/${info.quote}`), cell(o.side, o.side === "BUY" ? "up" : "down"),
      cell(o.type === "MARKET" ? "market" : fixed(o.price, info.priceDecimals), "num"),
      cell(fixed(o.origQty, info.qtyDecimals), "num"), cell(fixed(o.executedQty, info.qtyDecimals), "num"), action,
    );
  }) : [placeholder("No open orders", 6)]));
}

function onUserEvent(event) {
  if (event.e === "outboundAccountPosition") {
    for (const b of event.B) state.wallet.set(b.a, { free: b.f, locked: b.l });
    renderWallet();
  } else if (event.e === "balanceUpdate") {
    notify(`${Number(event.d) > 0 ? "Deposit" : "Withdrawal"}: ${trimZeros(event.d)} ${event.a}`);
  } else if (event.e === "executionReport") {
    if (event.x === "TRADE" && !state.placing.has(event.c)) {
      notify(`${event.S} ${trimZeros(event.l)} ${event.s} at ${trimZeros(event.L)}: ${event.X}`);
    }
    if (state.ordersArriving) state.ordersArriving.push(event);
    else if (state.openOrders.apply(event)) renderOpenOrders();
  } else if (event.e === "listenKeyExpired") {
    startUserStream().catch(failed);
  }
}

async function startUserStream() {
  stopUserStream();
  const listenKey = await exchange.listenKey();
  const socket = new WebSocket(exchange.wsUrl("/ws/" + listenKey));
  state.user = socket;
  state.userAttempt = 0;
  // what changed while no stream was connected is in no event: read it whole, then follow
  socket.onopen = () => Promise.all([refreshAccount(), refreshOpenOrders()]).catch(failed);
  socket.onmessage = (message) => onUserEvent(JSON.parse(message.data));
  socket.onclose = () => {
    if (state.user === socket && exchange.key) reconnectUserStream();
  };
  // Binance closes a listenKey after 60 minutes without a keepalive
  state.userTimer = setInterval(() => exchange.keepAlive(listenKey).catch(failed), 30 * 60 * 1000);
}

// The edge may be away longer than one retry (a restart, a deploy), or rate-limit the key
// request (429/418): keep trying, backing off, for as long as the trader is signed in; only a
// key the exchange no longer knows ends it (failed() signs out).
function reconnectUserStream() {
  const attempt = (state.userAttempt ?? 0) + 1;
  state.userAttempt = attempt;
  setTimeout(() => {
    if (!exchange.key || state.userAttempt !== attempt) return; // signed out, or another attempt took over
    startUserStream().catch((error) => {
      if (error instanceof ApiError && (error.code === -2014 || error.code === -2015)) {
        failed(error); // the key is gone: failed() signs this tab out
        return;
      }
      state.userAttempt = attempt;
      reconnectUserStream();
    });
  }, Math.min(10000, 1000 * 2 ** Math.min(attempt - 1, 4)));
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
  $("who").textContent = signedIn ? (exchange.session.email ?? `user #${exchange.session.userId}`) : "";
  $("place").textContent = signedIn ? "Place order" : "Log in to trade";
  if (!signedIn) {
    $("wallet").replaceChildren(placeholder("Log in to see your balances", 3));
    $("open-orders").replaceChildren();
  }
}

const UI_KEY_LABEL = "web-ui";

async function signIn(email, password) {
  await exchange.login(email, password);
  $("password").value = ""; // signed in: the page has no further use for it
  exchange.session.email = email;
  // The signed endpoints take an API key: the UI makes one for this session, shared by the
  // page's tabs, then revokes those of earlier sessions (a closed browser cannot revoke its
  // own). The new key is stored first, so the other open tabs move to it before theirs goes.
  const earlier = (await exchange.apiKeys()).filter((k) => k.label === UI_KEY_LABEL);
  await exchange.createApiKey(UI_KEY_LABEL);
  localStorage.setItem(STORAGE, JSON.stringify({ session: exchange.session, key: exchange.key }));
  await Promise.all(earlier.map((k) => exchange.revokeApiKey(k.apiKey).catch(() => {})));
  clearNotice();
  await begin();
}

async function begin() {
  showSignedIn();
  await startUserStream(); // its opening reads the wallet and the open orders
}

async function signOut() {
  clearNotice();
  $("password").value = "";
  const key = exchange.key;
  localStorage.removeItem(STORAGE); // the other tabs sign out too ("storage" event)
  leave();
  if (key && exchange.session) await exchange.revokeApiKey(key.apiKey).catch(() => {});
  exchange.session = null;
}

function leave() { // this tab only: forget the session, revoke nothing
  clearNotice(); // failed() shows why after this, where there is a why
  stopUserStream();
  exchange.key = null;
  state.openOrders.reset([]);
  showSignedIn();
}

function storedSession() {
  const saved = JSON.parse(localStorage.getItem(STORAGE) ?? "null");
  if (saved && saved.session.expiresAt < Date.now()) {
    localStorage.removeItem(STORAGE);
    return null;
  }
  return saved;
}

// Another tab signed in (a new key) or out: follow it.
function adoptStoredSession() {
  const saved = storedSession();
  if (!saved) {
    if (exchange.key) leave();
    exchange.session = null;
    return;
  }
  if (saved.key.apiKey === exchange.key?.apiKey) return;
  exchange.session = saved.session;
  exchange.key = saved.key;
  begin().catch(failed);
}

function restore() {
  if (storedSession()) adoptStoredSession();
  window.addEventListener("storage", (event) => {
    if (event.key === STORAGE) adoptStoredSession();
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
    const place = $("place");
    if (place.disabled) return; // one order per click, however fast the clicks come
    const type = $("order-type").value;
    const info = state.symbols.get(state.selected);
    const quantity = plainDecimal($("quantity").value);
    const price = type === "LIMIT" ? plainDecimal($("price").value) : undefined;
    const problem = checkOrder(info, type, quantity, price, $("quantity").value, $("price").value);
    if (problem) {
      notify(problem, true);
      return;
    }
    const order = {
      symbol: state.selected,
      side: new FormData($("order-form")).get("side"),
      type,
      timeInForce: type === "LIMIT" ? "GTC" : undefined,
      quantity,
      price,
      newClientOrderId: "web-" + crypto.randomUUID().replaceAll("-", "").slice(0, 24),
    };
    place.disabled = true;
    state.placing.add(order.newClientOrderId);
    try {
      const placed = await exchange.placeOrder(order);
      notify(describeOrder(placed, info.base, info.quote, info.priceDecimals));
    } catch (error) {
      failed(error);
    } finally {
      place.disabled = false;
      // its fills' executionReports may still be on their way
      setTimeout(() => state.placing.delete(order.newClientOrderId), 10_000);
    }
  });
  $("faucet-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const amount = plainDecimal($("faucet-amount").value);
    const problem = decimalProblem("amount", amount, $("faucet-amount").value);
    if (problem) {
      notify(problem, true);
      return;
    }
    try {
      await exchange.faucet($("faucet-asset").value, amount);
      notify(`Test funds: ${trimZeros(amount)} ${$("faucet-asset").value} credited`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        state.noFaucet = true; // not in dev mode: there are no test funds here
        $("faucet-form").hidden = true;
      }
      failed(error);
    }
  });
}

// A typed number the page cannot send (`value`: plainDecimal of `typed`), in words.
function decimalProblem(what, value, typed) {
  if (value === null && typed.includes(",")) return `Use a dot for decimals in the ${what}, such as 0.5.`;
  if (value === null && typed.trim()) return `Enter the ${what} as a plain decimal number, such as 0.5.`;
  if (!Number(value)) return `Enter ${what === "amount" ? "an" : "a"} ${what} greater than zero.`;
  return null;
}

// What the page can tell before asking the exchange (which checks every filter again).
function checkOrder(info, type, quantity, price, typedQuantity, typedPrice) {
  const amountProblem = decimalProblem("amount", quantity, typedQuantity);
  if (amountProblem) return amountProblem;
  if (decimalsOf(quantity) > info.qtyDecimals) {
    return `Amount: at most ${info.qtyDecimals} decimals on ${info.base}/${info.quote}.`;
  }
  if (type !== "LIMIT") return null;
  const priceProblem = decimalProblem("price", price, typedPrice);
  if (priceProblem) return priceProblem;
  if (decimalsOf(price) > info.priceDecimals) {
    return `Price: at most ${info.priceDecimals} decimals on ${info.base}/${info.quote}.`;
  }
  return null;
}

function wireLists() {
  const choose = (event) => {
    const tr = event.target.closest("tr[data-symbol]");
    if (!tr) return;
    if (event.type === "keydown" && event.key !== "Enter" && event.key !== " ") return;
    event.preventDefault();
    select(tr.dataset.symbol);
  };
  $("market-rows").addEventListener("click", choose);
  $("market-rows").addEventListener("keydown", choose);
  for (const side of ["asks", "bids"]) {
    $(side).addEventListener("click", (event) => {
      const tr = event.target.closest("tr[data-price]");
      if (tr) $("price").value = tr.dataset.price;
    });
  }
}

// -- start -------------------------------------------------------------------------------

async function main() {
  wireForms();
  wireLists();
  const [info, tickers] = await Promise.all([exchange.exchangeInfo(), exchange.tickers()]);
  const assets = new Set();
  for (const s of info.symbols.filter((s) => s.status === "TRADING")) {
    const filter = (type) => s.filters.find((f) => f.filterType === type) ?? {};
    state.symbols.set(s.symbol, {
      base: s.baseAsset, quote: s.quoteAsset,
      priceDecimals: decimalsOf(filter("PRICE_FILTER").tickSize ?? "0.01"),
      qtyDecimals: decimalsOf(filter("LOT_SIZE").stepSize ?? "0.001"),
      filters: Object.fromEntries(s.filters.map((f) => [f.filterType, f])),
    });
    assets.add(s.baseAsset).add(s.quoteAsset);
  }
  $("faucet-asset").replaceChildren(...[...assets].sort().map((a) => new Option(a, a, a === "USDT", a === "USDT")));
  tickers.forEach(takeTicker);
  const remembered = localStorage.getItem(MARKET);
  const first = state.symbols.has(remembered) ? remembered : [...state.symbols.keys()][0];
  if (first) await select(first);
  connectMarket();
  restore();
  window.addEventListener("resize", drawChart);
}

main().catch(failed);
