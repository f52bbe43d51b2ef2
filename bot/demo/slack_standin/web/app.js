// The Slack stand-in, in a browser: one user's channels, threads and modals, live over
// server-sent events. Every click becomes the simulator's user action on the server.
"use strict";

(() => {

const { blocks, mrkdwn, el, emojify, image, selectBox, optionsOf, EMOJI,
        REACTION_MEANING } = window.BlockKit;
const SHORTCUTS = [{ callback_id: "reply_with_template", name: "Reply with template" }];
const ui = { data: null, channel: null, thread: null, viewKey: null };
window.__pageLoadId = Math.random().toString(36).slice(2);  // tests: no reload happened

async function api(name, body) {
  const resp = await fetch("/api/" + name, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await resp.json().catch(() => ({ error: "HTTP " + resp.status }));
  if (!resp.ok || answer.error) toast(answer.error || "HTTP " + resp.status);
  return answer;
}

function toast(text) {
  const t = document.getElementById("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 6000);
}

function when(ts) {
  const d = new Date(parseFloat(ts) * 1000);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function channelById(id) {
  return (ui.data.channels || []).find((c) => c.id === id);
}

// -- messages ----------------------------------------------------------------------------
function author(m) {
  const d = ui.data;
  if (m.username) return { name: m.username, app: true };
  if (m.bot_id || m.user === d.bot.id) return { name: d.bot.name, app: true };
  return { name: d.users[m.user] || m.user || "?", app: false };
}

function avatar(m, who) {
  const initial = el("div", "avatar avatar-initial", (who.name.trim()[0] || "?").toUpperCase());
  if (m.icon_emoji) return el("div", "avatar avatar-emoji", emojify(m.icon_emoji));
  if (!m.icon_url) return initial;
  const img = image(m.icon_url, "", "avatar");
  return img.tagName === "IMG" ? img : initial;
}

function reactions(m) {
  const row = el("div", "reactions");
  for (const r of m.reactions || []) {
    const chip = el("span", "reaction", (EMOJI[r.name] || ":" + r.name + ":") + " " + r.count);
    chip.dataset.name = r.name;
    chip.title = REACTION_MEANING[r.name] || r.name;
    row.append(chip);
  }
  return row;
}

function message(m, where) {
  const who = author(m);
  const node = el("div", "msg" + (where.ephemeral ? " ephemeral" : ""));
  node.dataset.ts = m.ts;
  node.append(avatar(m, who));
  const body = el("div", "msg-body");
  const head = el("div", "msg-head");
  head.append(el("span", "author", who.name));
  if (who.app) head.append(el("span", "badge", "APP"));
  head.append(el("span", "time", when(m.ts)));
  if (m.edited) head.append(el("span", "time", "(edited)"));
  body.append(head);
  const ctx = {
    users: ui.data.users,
    act: (block, elem, value, button) => {
      if (button) button.disabled = true;
      api("click", { channel: where.channel, ts: m.ts, action_id: elem.action_id,
                     block_id: block.block_id, value })
        .finally(() => { if (button) button.disabled = false; });
    },
  };
  if (m.blocks && m.blocks.length) body.append(blocks(m.blocks, ctx));
  else body.append(mrkdwn(m.text, ctx));
  if (where.ephemeral) body.append(el("div", "only-you", "Only visible to you"));
  body.append(reactions(m));
  if (where.threadLink && m.reply_count) {
    const link = el("button", "thread-link",
      m.reply_count + (m.reply_count === 1 ? " reply" : " replies"));
    link.addEventListener("click", () => openThread(where.channel, m.ts));
    body.append(link);
  }
  node.append(body);
  if (!where.ephemeral) node.append(menu(m, where.channel));
  return node;
}

function menu(m, channel) {
  const sel = el("select", "msg-menu");
  sel.title = "More actions";
  sel.append(new Option("⋯", ""));
  for (const s of SHORTCUTS) sel.append(new Option(s.name, s.callback_id));
  sel.addEventListener("change", () => {
    if (sel.value) api("shortcut", { channel, ts: m.ts, callback_id: sel.value });
    sel.value = "";
  });
  return sel;
}

// -- panes -------------------------------------------------------------------------------
function renderSidebar() {
  const list = document.getElementById("channels");
  list.replaceChildren();
  for (const c of ui.data.channels) {
    const item = el("button", "channel" + (c.id === ui.channel ? " active" : ""), c.name);
    item.dataset.channel = c.id;
    item.addEventListener("click", () => { ui.channel = c.id; ui.thread = null; render(); });
    list.append(item);
  }
  document.getElementById("me").textContent = ui.data.me.name;
  const controls = document.getElementById("controls");
  controls.replaceChildren();
  for (const c of ui.data.controls || []) {
    const b = el("button", "control", c.label);
    b.dataset.control = c.name;
    b.addEventListener("click", () => api("control", { name: c.name }));
    controls.append(b);
  }
}

function keepScroll(box, fill) {
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  const top = box.scrollTop;
  fill();
  box.scrollTop = atBottom ? box.scrollHeight : top;
}

function renderChannel() {
  const c = channelById(ui.channel);
  document.getElementById("channel-name").textContent = c ? c.name : "";
  const box = document.getElementById("messages");
  keepScroll(box, () => {
    box.replaceChildren();
    if (!c) return;
    for (const m of c.messages) {
      box.append(message(m, { channel: c.id, threadLink: true }));
    }
    for (const e of ui.data.ephemerals.filter((x) => x.channel === c.id && !x.thread_ts)) {
      box.append(message(e, { channel: c.id, ephemeral: true }));
    }
  });
  document.getElementById("composer-input").placeholder =
    c ? "Message " + c.name + " (or a /command)" : "";
}

function renderThread() {
  const pane = document.getElementById("thread");
  const c = ui.thread && channelById(ui.thread.channel);
  const parent = c && c.messages.find((m) => m.ts === ui.thread.ts);
  pane.hidden = !parent;
  if (!parent) return;
  document.getElementById("thread-channel").textContent = c.name;
  const box = document.getElementById("thread-messages");
  keepScroll(box, () => {
    box.replaceChildren(message(parent, { channel: c.id }));
    box.append(el("div", "replies-rule", (parent.reply_count || 0) + " replies"));
    for (const r of parent.replies || []) box.append(message(r, { channel: c.id }));
    for (const e of ui.data.ephemerals.filter((x) => x.channel === c.id
        && x.thread_ts === parent.ts)) {
      box.append(message(e, { channel: c.id, ephemeral: true }));
    }
  });
}

function openThread(channel, ts) {
  if (!channelById(channel)) { toast("That channel is not visible to you."); return; }
  ui.channel = channel;
  ui.thread = { channel, ts };
  render();
  renderThread();
  const box = document.getElementById("thread-messages");
  box.scrollTop = box.scrollHeight;
  document.getElementById("thread-input").focus();
}

function render() {
  if (!ui.data) return;
  if (!ui.channel || !channelById(ui.channel)) {
    const first = ui.data.channels.find((c) => c.messages.length) || ui.data.channels[0];
    ui.channel = first ? first.id : null;
  }
  renderSidebar();
  renderChannel();
  renderThread();
  window.Modal.render(ui.data.view, ui.data.users);
}

// -- composers ---------------------------------------------------------------------------
async function send(input, threadTs) {
  const text = input.value.trim();
  if (!text || !ui.channel) return;
  const channel = threadTs ? ui.thread.channel : ui.channel;
  input.value = "";
  if (!threadTs && text.startsWith("/")) {
    const [command, ...rest] = text.split(" ");
    await api("command", { channel, command, text: rest.join(" ") });
  } else {
    await api("post", { channel, text, thread_ts: threadTs || undefined });
  }
}

function composer(inputId, buttonId, threadTs) {
  const input = document.getElementById(inputId);
  const go = () => send(input, threadTs());
  document.getElementById(buttonId).addEventListener("click", go);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); go(); }
  });
}

window.addEventListener("DOMContentLoaded", () => {
  composer("composer-input", "composer-send", () => null);
  composer("thread-input", "thread-send", () => ui.thread && ui.thread.ts);
  document.getElementById("thread-close").addEventListener("click", () => {
    ui.thread = null;
    renderThread();
  });
  const events = new EventSource("/api/events");
  events.onmessage = (e) => {
    ui.data = JSON.parse(e.data);
    render();
    document.body.dataset.live = "yes";
  };
  events.onerror = () => { document.body.dataset.live = "reconnecting"; };
});

window.App = { api, toast, ui, openThread };
})();
