// The web UI's API client (edge/web/binance.js) driving a live edge under Node, as the page
// does in a browser: accounts, test funds, signed orders (WebCrypto HMAC), the wallet, and
// the market and user data streams. Run by test_web_ui.py:
//   node --experimental-websocket web_ui_flow.mjs <edge url> <path of binance.js>
// Prints one JSON object of what it saw; any failed expectation exits non-zero.

import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const [edgeUrl, clientPath] = process.argv.slice(2);
const { ApiError, Exchange } = await import(pathToFileURL(clientPath).href);
const SYMBOL = "ETHUSDT";
const PASSWORD = "correct horse battery staple";
const QTY = "0.5000";

function nextMessage(socket, wanted, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no matching message in time")), timeoutMs);
    socket.addEventListener("message", function listener(message) {
      const data = JSON.parse(message.data);
      if (wanted(data)) {
        clearTimeout(timer);
        socket.removeEventListener("message", listener);
        resolve(data);
      }
    });
  });
}

function opened(socket) {
  return new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
}

async function trader(name, asset, amount) {
  const client = new Exchange(edgeUrl);
  const email = `${name}.${process.pid}.${Date.now()}@example.com`;
  await client.register(email, PASSWORD);
  await client.login(email, PASSWORD);
  await client.createApiKey("web-ui");
  await client.faucet(asset, amount);
  return client;
}

// a price inside the book's spread (or at the last price on an empty side): the two orders
// below then trade with each other, whatever other tests left resting
async function freePrice(client) {
  const book = await client.depth(SYMBOL, 5);
  const bid = book.bids.length ? Number(book.bids[0][0]) : 0;
  const ask = book.asks.length ? Number(book.asks[0][0]) : Infinity;
  let price = bid && ask < Infinity ? (bid + ask) / 2 : bid ? bid * 1.01 : ask < Infinity ? ask * 0.99 : 2000;
  price = Math.round(price * 100) / 100;
  assert.ok(price > bid && price < ask, `no room between ${bid} and ${ask}`);
  return price.toFixed(2);
}

const seller = await trader("web-seller", "ETH", "2");
const buyer = await trader("web-buyer", "USDT", "100000");
const price = await freePrice(buyer);

const before = await buyer.account();
assert.equal(before.balances.find((b) => b.asset === "USDT").free, "100000.00000000");

const userStream = new WebSocket(buyer.wsUrl("/ws/" + (await buyer.listenKey())));
const marketStream = new WebSocket(buyer.combinedStreams([SYMBOL.toLowerCase() + "@trade"]));
await Promise.all([opened(userStream), opened(marketStream)]);
await new Promise((resolve) => setTimeout(resolve, 300)); // the edge registers both streams

const fill = nextMessage(userStream, (e) => e.e === "executionReport" && e.x === "TRADE");
const position = nextMessage(userStream, (e) => e.e === "outboundAccountPosition" && e.B.some((b) => b.a === "ETH"));
const printed = nextMessage(marketStream, (m) => m.data?.e === "trade" && m.data.p === price + "000000");

const resting = await seller.placeOrder({ symbol: SYMBOL, side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: QTY, price });
assert.equal(resting.status, "NEW");
assert.equal((await seller.openOrders(SYMBOL)).length, 1);
const taken = await buyer.placeOrder({ symbol: SYMBOL, side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: QTY, price });
assert.equal(taken.status, "FILLED");
assert.equal(taken.fills.length, 1);

const [filled, wallet, trade] = await Promise.all([fill, position, printed]);
assert.equal(filled.i, taken.orderId);
assert.equal(Number(trade.data.q), Number(QTY));
const after = await buyer.account();
const eth = Number(after.balances.find((b) => b.asset === "ETH").free);
const usdt = Number(after.balances.find((b) => b.asset === "USDT").free);
assert.ok(eth > 0.49 && eth <= 0.5, `bought ETH ${eth}`);
assert.equal(Math.round(usdt * 100), Math.round((100000 - Number(QTY) * Number(price)) * 100));
assert.equal(Number(wallet.B.find((b) => b.a === "ETH").f), eth);
assert.deepEqual(await seller.openOrders(SYMBOL), []);

// a resting order canceled from the open-orders list
const lone = await seller.placeOrder({ symbol: SYMBOL, side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.1000", price: (Number(price) * 3).toFixed(2) });
const canceled = await seller.cancelOrder(SYMBOL, lone.orderId);
assert.equal(canceled.status, "CANCELED");

// the API's own errors reach the page as they are
let refused;
try {
  await buyer.placeOrder({ symbol: SYMBOL, side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.00001", price });
} catch (error) {
  refused = error;
}
assert.ok(refused instanceof ApiError, String(refused));
assert.equal(refused.status, 400);
assert.equal(refused.code, -1013);

userStream.close();
marketStream.close();
console.log(JSON.stringify({ price, orderId: taken.orderId, eth, usdt, refused: refused.code }));
