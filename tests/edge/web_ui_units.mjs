// The web UI's pure helpers (edge/web/binance.js), without a browser or an exchange. Run by
// test_web_ui.py: node web_ui_units.mjs <path of binance.js>; any failed expectation exits non-zero.

import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";

const [clientPath] = process.argv.slice(2);
const { ApiError, OpenOrders, describeOrder, explainRefusal, fixed, plainDecimal } = await import(
  pathToFileURL(clientPath).href
);

// Binance's 8-place strings shown with the symbol's own decimals, without rounding
assert.equal(fixed("94412.40000000", 2), "94412.40");
assert.equal(fixed("0.00015000", 5), "0.00015");
assert.equal(fixed("12.5", 3), "12.500");
assert.equal(fixed("7.00000000", 0), "7");

// a -1013 names the filter; the sentence carries the symbol's numbers
const filters = {
  PRICE_FILTER: { filterType: "PRICE_FILTER", minPrice: "0.01000000", maxPrice: "1000000.00000000", tickSize: "0.01000000" },
  LOT_SIZE: { filterType: "LOT_SIZE", minQty: "0.00001000", maxQty: "9000.00000000", stepSize: "0.00001000" },
  NOTIONAL: { filterType: "NOTIONAL", minNotional: "5.00000000", maxNotional: "9000000.00000000" },
};
const refusal = (msg) => new ApiError(400, -1013, msg);
assert.equal(explainRefusal(refusal("Filter failure: PRICE_FILTER"), filters),
  "Price must be a multiple of 0.01, from 0.01 to 1000000.");
assert.equal(explainRefusal(refusal("Filter failure: LOT_SIZE"), filters),
  "Amount must be a multiple of 0.00001, from 0.00001 to 9000.");
assert.equal(explainRefusal(refusal("Filter failure: NOTIONAL"), filters),
  "Order value (price × amount) must be from 5 to 9000000."); // one code for too little and too much
assert.equal(explainRefusal(refusal("Filter failure: NOTIONAL"), { NOTIONAL: { minNotional: "5.00000000" } }),
  "Order value (price × amount) must be at least 5.");
// a -1100 reads as a regex or as the server's words: the trader gets the words
const illegal = (param, range) => new ApiError(400, -1100,
  `Illegal characters found in parameter '${param}'; legal range is '${range}'.`);
assert.equal(explainRefusal(illegal("quantity", "^([0-9]{1,20})(\\.[0-9]{1,20})?$")),
  "Amount must be a plain decimal number, such as 0.5.");
assert.equal(explainRefusal(illegal("amount", "a positive decimal number up to 46116860184.27387904")),
  "Amount: a positive decimal number up to 46116860184.27387904.");

// numbers as typed -> as the exchange takes them
assert.deepEqual([".001", "90000.", "0.5", " 7 ", "007.10"].map(plainDecimal), ["0.001", "90000", "0.5", "7", "007.10"]);
assert.deepEqual(["", ".", "1e5", "0,5", "-1", "1.2.3", "Infinity"].map(plainDecimal), [null, null, null, null, null, null, null]);

// what an order did, from its FULL reply
const reply = (status, executedQty, cummulativeQuoteQty, extra = {}) => ({
  side: "BUY", type: "MARKET", price: "0.00000000", origQty: "1.00000000", status, executedQty, cummulativeQuoteQty, ...extra,
});
assert.equal(describeOrder(reply("EXPIRED", "0.00590000", "550.00000000"), "BTC", "USDT", 2),
  "Bought 0.0059 of 1 BTC for 550 USDT (average price 93220.34); the rest expired (not enough on the book, or not enough funds).");
assert.equal(describeOrder(reply("FILLED", "1.00000000", "93000.50000000"), "BTC", "USDT", 2),
  "Bought 1 BTC for 93000.5 USDT (average price 93000.5).");
assert.equal(describeOrder(reply("EXPIRED", "0.00000000", "0.00000000"), "BTC", "USDT", 2),
  "BUY 1 BTC/USDT expired: nothing on the book to match it.");
assert.equal(describeOrder(reply("NEW", "0.00000000", "0.00000000", { type: "LIMIT", price: "90000.00000000", side: "SELL" }),
  "BTC", "USDT", 2), "Order placed: SELL 1 BTC/USDT at 90000, on the book.");
assert.equal(describeOrder(reply("PARTIALLY_FILLED", "0.25000000", "22500.00000000", { type: "LIMIT", side: "SELL" }),
  "BTC", "USDT", 2), "Sold 0.25 of 1 BTC for 22500 USDT (average price 90000); the rest is on the book.");
assert.equal(explainRefusal(new ApiError(400, -2010, "Account has insufficient balance for requested action."), filters),
  "Not enough available funds for this order (what open orders hold is not available).");
assert.equal(explainRefusal(new ApiError(400, -2010, "Market is closed."), filters), null); // the exchange's words

// open orders of every market, kept by executionReports
const open = new OpenOrders();
open.reset([{ symbol: "BTCUSDT", orderId: 1, side: "BUY", type: "LIMIT", price: "1.00", origQty: "2", executedQty: "0" }]);
const report = (i, x, X, z = "0") => ({ e: "executionReport", i, x, X, s: "ETHUSDT", S: "SELL", o: "LIMIT", p: "3.00", q: "1", z });
assert.equal(open.apply(report(2, "NEW", "NEW")), true);
assert.deepEqual(open.list().map((o) => o.orderId), [2, 1]); // newest first
assert.equal(open.apply(report(2, "TRADE", "PARTIALLY_FILLED", "0.4")), true);
assert.equal(open.list()[0].executedQty, "0.4");
assert.equal(open.apply(report(2, "TRADE", "FILLED", "1")), true);
assert.equal(open.apply(report(1, "CANCELED", "CANCELED")), true);
assert.deepEqual(open.list(), []);
assert.equal(open.apply(report(3, "REJECTED", "REJECTED")), false); // never was open
assert.equal(open.apply(report(4, "NEW", "NEW")) && open.apply(report(4, "EXPIRED", "EXPIRED")), true);
assert.deepEqual(open.list(), []);
console.log(JSON.stringify({ ok: true }));
