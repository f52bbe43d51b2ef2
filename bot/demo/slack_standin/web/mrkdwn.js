// Slack's text: mrkdwn (bold, italic, strike, code, quotes, links, mentions, dates) and
// emoji short names, drawn with DOM nodes and textContent only (never innerHTML): no
// bot or buyer text can become markup.
"use strict";

(() => {
const EMOJI = {
  white_check_mark: "✅", x: "❌", hourglass_flowing_sand: "⏳", hourglass: "⌛",
  warning: "⚠️", memo: "📝", truck: "🚚", package: "📦", rotating_light: "🚨",
  triangular_flag_on_post: "🚩", speech_balloon: "💬", eyes: "👀", tada: "🎉",
  thumbsup: "👍", "+1": "👍", pray: "🙏", wave: "👋", heart: "❤️", smile: "😄",
  link: "🔗", receipt: "🧾", no_entry_sign: "🚫", arrows_counterclockwise: "🔄",
  globe_with_meridians: "🌐", leftwards_arrow_with_hook: "↩️", octagonal_sign: "🛑",
  green_circle: "🟢", white_circle: "⚪", bell: "🔔", clock3: "🕒", sos: "🆘",
};
const REACTION_MEANING = {
  hourglass_flowing_sand: "sending to the buyer", white_check_mark: "delivered to the buyer",
  x: "not delivered", warning: "outcome unknown: checking with the marketplace",
  memo: "internal note, not sent",
};

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function wrap(cls, child) {
  const node = el("div", cls);
  node.append(child);
  return node;
}

function emojify(s) {
  return s.replace(/:([a-z0-9_+\-]+):/g, (m, name) => EMOJI[name] || m);
}

function unescapeSlack(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function safeUrl(url) {
  return /^(https?:|mailto:)/i.test(url) ? url : null;
}

// A Slack permalink (…/archives/C123/p1700000000123456[?thread_ts=…]) opens the
// thread here: the workspace it names is this stand-in, not slack.com.
const PERMALINK = /\/archives\/([CGD][A-Z0-9]+)\/p(\d{10})(\d{6})(?:\?thread_ts=([\d.]+))?/;

function link(url, label) {
  const href = safeUrl(url);
  if (!href) return document.createTextNode(label || url);
  const a = el("a", "link", label || url);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  const m = href.match(PERMALINK);
  if (m && window.App) {
    a.addEventListener("click", (e) => {
      e.preventDefault();
      window.App.openThread(m[1], m[4] || `${m[2]}.${m[3]}`);
    });
  }
  return a;
}

// <!date^epoch^format|fallback>: shown in the reader's time zone, as Slack does.
function slackDate(token) {
  const [spec, fallback] = token.split("|");
  const [, epoch, format] = spec.split("^");
  const d = new Date(Number(epoch) * 1000);
  if (!format || Number.isNaN(d.getTime())) return fallback || "";
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(d) - day(new Date())) / 86400000);
  const short = d.toLocaleDateString("en-US", { month: "short", day: "numeric" });
  const pretty = diff === 0 ? "today" : diff === -1 ? "yesterday" : diff === 1 ? "tomorrow"
    : short;
  const long = d.toLocaleDateString("en-US", { weekday: "long", month: "long", day: "numeric",
                                               year: "numeric" });
  const words = {
    date_num: d.toISOString().slice(0, 10), date: long.replace(/^\w+, /, ""),
    date_short: short, date_long: long, date_pretty: pretty, date_short_pretty: pretty,
    date_long_pretty: diff === 0 || Math.abs(diff) === 1 ? pretty : long,
    time: d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" }),
    time_secs: d.toLocaleTimeString("en-GB"),
  };
  return format.replace(/\{(\w+)\}/g, (m, k) => words[k] || m);
}

// <...> tokens: user and channel mentions, specials, links.
function special(token, ctx) {
  if (token.startsWith("@")) {
    const id = token.slice(1).split("|")[0];
    return el("span", "mention", "@" + ((ctx.users || {})[id] || id));
  }
  if (token.startsWith("#")) {
    const [id, name] = token.slice(1).split("|");
    return el("span", "mention", "#" + (name || id));
  }
  if (token.startsWith("!date^")) return document.createTextNode(slackDate(token));
  if (token.startsWith("!")) return el("span", "mention", "@" + token.slice(1).split(/[|^]/)[0]);
  const [url, label] = token.split("|");
  return link(unescapeSlack(url), label === undefined ? undefined : unescapeSlack(label));
}

const INLINE = new RegExp([
  "<([^<>\\n]+)>",                       // 1 link / mention
  "`([^`\\n]+)`",                        // 2 code
  "(?<![\\w*])\\*([^*\\n]+)\\*(?![\\w*])", // 3 bold
  "(?<![\\w_])_([^_\\n]+)_(?![\\w_])",     // 4 italic
  "(?<![\\w~])~([^~\\n]+)~(?![\\w~])",     // 5 strike
].join("|"), "g");

function inline(text, ctx, into) {
  let pos = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > pos) into.append(emojify(unescapeSlack(text.slice(pos, m.index))));
    if (m[1] !== undefined) into.append(special(m[1], ctx));
    else if (m[2] !== undefined) into.append(el("code", null, unescapeSlack(m[2])));
    else {
      const tag = m[3] !== undefined ? "b" : m[4] !== undefined ? "i" : "s";
      const node = el(tag);
      inline(m[3] ?? m[4] ?? m[5], ctx, node);
      into.append(node);
    }
    pos = m.index + m[0].length;
  }
  if (pos < text.length) into.append(emojify(unescapeSlack(text.slice(pos))));
}

function mrkdwn(text, ctx) {
  const out = el("span", "mrkdwn");
  String(text || "").split(/```/).forEach((part, i) => {
    if (i % 2 === 1) { out.append(el("pre", null, unescapeSlack(part))); return; }
    part.split("\n").forEach((line, j) => {
      if (j > 0) out.append(el("br"));
      if (line.startsWith("&gt; ")) {
        const q = el("span", "quote");
        inline(line.slice(5), ctx, q);
        out.append(q);
      } else inline(line, ctx, out);
    });
  });
  return out;
}

function textObject(obj, ctx) {
  if (!obj) return el("span");
  if (obj.type === "mrkdwn") return mrkdwn(obj.text, ctx);
  const t = obj.emoji === false ? obj.text : emojify(obj.text || "");
  return el("span", "plain", t);
}

window.Mrkdwn = { el, wrap, emojify, link, safeUrl, special, mrkdwn, textObject, EMOJI,
                   REACTION_MEANING };
})();
